-- lib/steer.lua - the "steer" data of 50_related_auxiliary.lua and
-- 58_auto_lambda.lua, written once for both (their headers say what it
-- means). 20 standard normal inputs; two hidden factors
-- f1 = tanh(1.5 u1'x), f2 = tanh(1.5 u2'x) ("curvature", "offset"); the
-- main task "steer" = [f1 f2 > 0] with 5% of the labels flipped; two
-- unrelated targets "other1", "other2" = tanh(1.5 v'x) along two other
-- random directions v; with noise = true also "noise", a standard normal
-- target drawn independently of the input. 3500 examples: 500 train,
-- 1000 validation, 2000 test.
local mtl = require "mtl"

local steer = {}

-- The data set, drawn from math.randomseed(mtl.data_seed(seed)) (so
-- --draw moves it); opts.noise adds the "noise" target.
function steer.data(seed, opts)
  local noise = opts and opts.noise
  math.randomseed(mtl.data_seed(seed))
  local d = 20
  local function gauss()
    return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
  end
  local function dir()
    local v = {}
    for k = 1, d do v[k] = gauss() / math.sqrt(d) end
    return v
  end
  local function dot(w, x)
    local s = 0
    for k = 1, d do s = s + w[k] * x[k] end
    return s
  end
  local u1, u2, v1, v2 = dir(), dir(), dir(), dir()
  return mtl.data.generate {
    n = 3500, train = 500, val = 1000, test = 2000,
    fn = function(i)
      local x = {}
      for k = 1, d do x[k] = gauss() end
      local f1, f2 = math.tanh(1.5 * dot(u1, x)), math.tanh(1.5 * dot(u2, x))
      local y = (f1 * f2 > 0) and 1 or 0
      if math.random() < 0.05 then y = 1 - y end -- label noise
      return x, {
        steer = y,
        curvature = f1, offset = f2,
        other1 = math.tanh(1.5 * dot(v1, x)), other2 = math.tanh(1.5 * dot(v2, x)),
        noise = noise and gauss() or nil,
      }
    end,
    types = { steer = "binary", curvature = "regress", offset = "regress",
              other1 = "regress", other2 = "regress", noise = noise and "regress" or nil },
  }
end

return steer

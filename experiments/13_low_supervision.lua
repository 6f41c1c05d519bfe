-- 13_low_supervision.lua - low supervision (Sogaard & Goldberg 2016; survey
-- section 6.4): in hard sharing, a low-level task is supervised at a lower
-- layer of the shared trunk (`attach = 1`), a high-level task at the top.
--
-- A hierarchy on 16 inputs: "low" is which of three linear projections of
-- x is largest (like a part-of-speech tag); "high" moves that class by one
-- when a fourth projection is positive (a label built on top of "low").
-- "low" is labelled on every example, "high" on one in five (as a cheap
-- low-level annotation and a scarce high-level one usually are). Three
-- experiments on the same data:
--   * "low supervision": low attached at trunk layer 1, high at layer 2;
--   * "both at the top": both heads on layer 2;
--   * "high alone": the high task trained by itself.
--
-- What to watch: the topology pane (low's head leaves the trunk after
-- layer 1), and the accuracies of "high" across the three experiments
-- ('c' compares them).
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_columns.c asserts it): with the low-level task
-- the scarce high-level task is more than 2 points more accurate than
-- alone; supervising "low" at the lower layer costs nothing: "high" within
-- 2 points of "both at the top", and "low" at least as accurate as there
-- minus 1 point.
--
-- Run: mtlab experiments/13_low_supervision.lua
--      mtlab run experiments/13_low_supervision.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(7))
local d = 16
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local P = {}
for c = 1, 4 do
  P[c] = {}
  for k = 1, d do P[c][k] = gauss() / math.sqrt(d) end
end
local function dot(v, x)
  local s = 0
  for k = 1, d do s = s + v[k] * x[k] end
  return s
end

local data = mtl.data.generate {
  n = 12000, train = 2000, val = 0, test = 10000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local best, low = -math.huge, 0
    for c = 1, 3 do
      local z = dot(P[c], x)
      if z > best then best, low = z, c - 1 end
    end
    local high = (low + (dot(P[4], x) > 0 and 1 or 0)) % 3
    return x, { low = low, high = i % 5 == 0 and high or nil } -- nil: no label
  end,
  types = { low = "class", high = "class" },
}

local lowsup = mtl.experiment {
  name = "low supervision",
  description = [[
Hard sharing with the low-level task's head on trunk layer 1 and the
high-level task's on layer 2. Compare "high" with the other two runs.]],
  data = data,
  tasks = {
    mtl.task.classify { name = "low", attach = 1 },
    mtl.task.classify { name = "high" },
  },
  topology = mtl.share.hard { trunk = { 32, 32 } },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 30, seed = 1 },
}

return {
  lowsup,
  mtl.variant(lowsup, {
    name = "both at the top",
    tasks = { mtl.task.classify { name = "low" }, mtl.task.classify { name = "high" } },
  }),
  mtl.variant(lowsup, {
    name = "high alone",
    tasks = { mtl.task.classify { name = "high" } },
  }),
  claim = {
    text = "with the low-level task supervised at layer 1, high gains over high alone (+2 points) and is within "
      .. "2 points of both at the top; low does not lose (within 1 point)",
    check = function(r)
      local function acc(name, task) return r[name].tasks[task].test_metric end
      local hi_low, hi_top, hi_alone = acc("low supervision", "high"), acc("both at the top", "high"),
        acc("high alone", "high")
      local lo_low, lo_top = acc("low supervision", "low"), acc("both at the top", "low")
      return hi_low > hi_alone + 0.02 and math.abs(hi_low - hi_top) < 0.02 and lo_low > lo_top - 0.01,
        string.format("high %.3f (both at the top %.3f, alone %.3f), low %.3f (at the top %.3f)", hi_low, hi_top,
                      hi_alone, lo_low, lo_top)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

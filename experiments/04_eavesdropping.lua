-- 04_eavesdropping.lua - eavesdropping (survey section 4.3).
--
-- Data: 50 inputs, 1000 training examples. A hidden feature G = [u'x > 0]
-- (a direction u of the input). Task "b" IS the feature G: a linear
-- separator, easy to learn. Task "a" uses G only through an interaction:
-- a = G xor [x1 > 0]. On its own, a's labels are uncorrelated with G and
-- with x1 (each half of the xor is invisible without the other), so a's
-- gradient gives almost no hint of the direction u among 50 inputs.
-- Learned together, the shared trunk builds G for task b, and a's head
-- only has to combine G with x1: task a "eavesdrops" on what b learned.
--
-- Two experiments on the same data and budget, with baselines = true
-- (each task alone):
--   * "a + b": hard sharing of a with the easy task b;
--   * "a + other": the control - "other" is as easy as b, but is the
--     feature of a DIFFERENT direction v: nothing for a to overhear.
--
-- What to watch on the screen: a's validation loss (dashed) with b falls
-- once b's has - when the trunk has G, a only needs the xor; in
-- "a + other" it stays where a alone would be ('c' compares).
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_teaching.c asserts it): with b, a's test
-- accuracy is at least 5 points above a alone and at least 5 points above
-- "a + other". Measured with data draws 4, 5, 6 (math.randomseed) and
-- training seeds 1, 2: a + b beats a alone by 6.7 to 14.3 points and
-- a + other by 9.3 to 14.8 points; a + other is within 5 points of a
-- alone (either side).
--
-- Run: mtlab run experiments/04_eavesdropping.lua
--      mtlab experiments/04_eavesdropping.lua   (the workbench)
local mtl = require "mtl"

math.randomseed(mtl.data_seed(4))
local d = 50
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local u, v = {}, {}
for k = 1, d do
  u[k] = gauss()
  v[k] = gauss()
end
u[1], v[1] = 0, 0 -- G and the other feature do not use x1 itself
local function dot(w, x)
  local s = 0
  for k = 1, d do s = s + w[k] * x[k] end
  return s
end

local data = mtl.data.generate {
  n = 5000, train = 1000, val = 1000, test = 3000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local g = dot(u, x) > 0 and 1 or 0
    local h = x[1] > 0 and 1 or 0
    return x, { a = g ~ h, b = g, other = dot(v, x) > 0 and 1 or 0 }
  end,
  types = { a = "binary", b = "binary", other = "binary" },
}

local with_b = mtl.experiment {
  name = "a + b",
  description = [[
a = G xor [x1 > 0], where G = [u'x > 0] is a hidden direction of 50
inputs. Alone, a's labels barely correlate with G: the direction is hard
to find. Task b is G itself, easy. Sharing the trunk, a eavesdrops on
the G that b learned and only has to combine it with x1. Compare a's
accuracy with the single-task column, and with the next experiment.]],
  data = data,
  tasks = { mtl.task.binary { name = "a" }, mtl.task.binary { name = "b" } },
  topology = mtl.share.hard { trunk = { 32 }, head = { 16 } },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 30, eval_every = 100, seed = 1, baselines = true },
}

return {
  with_b,
  mtl.variant(with_b, {
    name = "a + other",
    description = [[
The control: "other" is as easy as b but is the sign of ANOTHER
direction v. There is nothing in it for a to overhear.]],
    tasks = { mtl.task.binary { name = "a" }, mtl.task.binary { name = "other" } },
  }),
  claim = {
    text = "with b, a gains at least 5 accuracy points over a alone and over a + other; b itself is learned (> 0.85)",
    check = function(r)
      local ab, ao = r["a + b"].tasks, r["a + other"].tasks
      local with_b, alone, with_o = ab.a.test_metric, ab.a.single_task_metric, ao.a.test_metric
      return with_b >= alone + 0.05 and with_b >= with_o + 0.05 and ab.b.test_metric > 0.85,
        string.format("a's accuracy: with b %.3f, alone %.3f, with other %.3f; b %.3f", with_b, alone, with_o,
                      ab.b.test_metric)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

-- 05_representation_bias.lua - representation bias (survey section 4.4;
-- Baxter 2000: a representation that works for enough tasks of an
-- environment also works for a new task of that environment).
--
-- The environment: 20 inputs and 4 hidden features phi_j = tanh(1.5 u_j'x);
-- every task of the environment is its own linear mix of the four
-- features, plus a little noise. The task we care about, "new", has only
-- ~100 labels (one example in 20); the "helper" tasks h1..h8 of the same
-- environment are labelled on every example. The helpers bias the shared
-- trunk toward the representation every task of the environment prefers:
-- the four features. The more helpers share the trunk, the closer it gets
-- to that representation, and the less "new" has to learn from its own
-- scarce labels: a head on top of the four features.
--
-- (mtlab trains tasks together; there is no separate "pretrain, then
-- transfer" step. The scarce task trained jointly with the others is the
-- same idea seen from inside one run: how well does the shared
-- representation serve a task that could not have shaped it alone?)
--
-- Four experiments on the same data and budget: "new" alone, with 1
-- helper, with 2, with 8.
--
-- What to watch on the screen: new's validation loss (dashed) in each
-- experiment ('c' compares them: the Pareto scatter of final losses).
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_teaching.c asserts it): new's test MSE falls
-- as helpers are added: with 8 helpers it is below half of new alone and
-- below 0.6 times the run with 1 helper; with 2 helpers it is below new
-- alone. Measured with data draws 5, 6, 7 (math.randomseed) and training
-- seeds 1-3 (7 runs): 8 helpers / alone = 0.08 to 0.35, 8 helpers /
-- 1 helper = 0.16 to 0.43, 1 helper / alone = 0.39 to 0.97 (one helper
-- alone is not always enough: it pins down one mix of the features, not
-- all four).
--
-- Run: mtlab run experiments/05_representation_bias.lua
--      mtlab experiments/05_representation_bias.lua   (the workbench)
local mtl = require "mtl"

math.randomseed(mtl.data_seed(5))
local d, K, H = 20, 4, 8
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local U = {}
for j = 1, K do
  U[j] = {}
  for k = 1, d do U[j][k] = gauss() / math.sqrt(d) end
end
-- the mixing weights of "new" (task 0) and of the helpers 1..H
local W = {}
for t = 0, H do
  W[t] = {}
  for j = 1, K do W[t][j] = gauss() end
end

local types = { new = "regress" }
for t = 1, H do types["h" .. t] = "regress" end

local data = mtl.data.generate {
  n = 9000, train = 2000, val = 1000, test = 6000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local phi = {}
    for j = 1, K do
      local s = 0
      for k = 1, d do s = s + U[j][k] * x[k] end
      phi[j] = math.tanh(1.5 * s)
    end
    local y = {}
    for t = 0, H do
      local s = 0
      for j = 1, K do s = s + W[t][j] * phi[j] end
      y[t == 0 and "new" or "h" .. t] = s + 0.1 * gauss()
    end
    y.new = i % 20 == 0 and y.new -- false: no label (new is scarce)
    return x, y
  end,
  types = types,
}

local function with_helpers(h)
  local tasks = { mtl.task.regress { name = "new" } }
  for t = 1, h do tasks[#tasks + 1] = mtl.task.regress { name = "h" .. t } end
  return tasks
end

local alone = mtl.experiment {
  name = "new alone",
  description = [[
The scarce task alone: ~100 labels to learn a mix of four hidden features
of 20 inputs. Then look at the runs with 1, 2 and 8 helper tasks from the
same environment (']' or 'c'): each helper biases the shared trunk toward
the features every task of the environment uses.]],
  data = data,
  tasks = with_helpers(0),
  topology = mtl.share.hard { trunk = { 32, 16 } },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 40, eval_every = 250, seed = 1 },
}

local runs = { alone }
for _, h in ipairs { 1, 2, H } do
  runs[#runs + 1] = mtl.variant(alone, {
    name = string.format("new + %d helper%s", h, h > 1 and "s" or ""),
    description = string.format([[
The scarce task with %d helper task%s of the same environment sharing the
trunk. Compare new's losses with "new alone".]], h, h > 1 and "s" or ""),
    tasks = with_helpers(h),
  })
end
runs.claim = {
  text = "new's test MSE with 8 helpers is below half of alone and below 0.6 of one helper; 2 helpers beat alone",
  check = function(r)
    local function mse(name) return r[name].tasks.new.test_metric end
    local alone, h1, h2, h8 = mse("new alone"), mse("new + 1 helper"), mse("new + 2 helpers"), mse("new + 8 helpers")
    return h8 < 0.5 * alone and h8 < 0.6 * h1 and h2 < alone,
      string.format("new's test MSE: alone %.3f, 1 helper %.3f, 2 helpers %.3f, 8 helpers %.3f", alone, h1, h2, h8)
  end,
  seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
}
return mtl.compare(runs)

-- 23_deep_relationship.lua - deep relationship networks (Long & Wang 2017;
-- survey section 6.1): a matrix-variate normal prior with a learned task
-- covariance on the task-specific layer.
--
-- Data: eight regression tasks in two hidden clusters (mtl.data.related):
-- tasks of a cluster share a weight vector up to a deviation, the two
-- clusters' vectors are orthogonal; each example belongs to one task (100
-- each). config.json's data.clusters holds the truth.
--
-- Two networks with the same 16-unit shared layer and a linear output per
-- task:
--   hard  hard parameter sharing;
--   drn   the same plus, on the output layer, the penalty
--           lambda/2 tr(W Omega^-1 W^T)     (W: the tasks' weights, 16 x 8)
--         with Omega, the task covariance, set every 20 steps to
--         (W'W)^1/2 / tr((W'W)^1/2); lambda = 0.2.
--
-- What to watch on the screen: "task correlation" (Omega normalised to a
-- unit diagonal) grows two bright blocks - the clusters - from the
-- identity it starts at; "task covariance" is Omega itself. The test loss
-- of drn ends below hard sharing's: the prior lets related tasks pool
-- their few examples.
--
-- The claim: in the last published task correlation, the mean over pairs
-- within the true clusters exceeds the mean across them by more than 0.4
-- (tests/test_e2e_experts.c), and drn's mean test loss is below 0.95 times
-- hard sharing's on the geometric mean of the per-run ratios (declared at
-- the end; --claims-thorough checks seeds 1-5 x draws 0-2). Measured over
-- training seeds 1-5 x data seeds 5, 101-104 (25 runs): 0.84, 95% interval
-- [0.80, 0.89]; single runs 0.68 to 1.13 - on one draw in five a single
-- run may not gain at all.
--
-- Run: mtlab run experiments/23_deep_relationship.lua
--      mtlab experiments/23_deep_relationship.lua     (the workbench)
local mtl = require "mtl"

local T = 8
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local hard = mtl.experiment {
  name = "hard",
  description = "Eight tasks in two hidden clusters on one shared layer.",
  data = mtl.data.related { tasks = T, clusters = 2, d = 20, support = 10, within = 0.3,
                            n_each = 100, noise = 0.3, seed = 5 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = { 16 }, head = {} },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 60, seed = 1 },
}

local function loss(run)  -- the mean test loss over the tasks
  local s, n = 0, 0
  for _, t in pairs(run.tasks) do s, n = s + t.test_loss, n + 1 end
  return s / n
end
return mtl.compare {
  hard,
  mtl.variant(hard, {
    name = "drn",
    description = "The same with a task-covariance prior on the output layer.",
    topology = mtl.share.drn { trunk = { 16 }, head = {}, lambda = 0.2, update_every = 20 } }),
  claim = {
    text = "drn's mean test loss is below 0.95 times hard sharing's: the geometric mean of the "
      .. "per-run ratios over seeds x draws (measured 0.84 [0.80, 0.89] over seeds 1-5 x 5 data "
      .. "seeds; single runs 0.68 to 1.13)",
    measure = function(r) return math.log(loss(r.drn) / loss(r.hard)), "log(drn / hard)" end,
    below = math.log(0.95),
    seeds = "1..5", draws = { 0, 1, 2 },
  },
}

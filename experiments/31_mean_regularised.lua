-- 31_mean_regularised.lua - mean-regularised multi-task learning (Evgeniou &
-- Pontil 2004; survey section 5.2).
--
-- Eight related linear regression tasks: every task's true weight vector is
-- one common vector plus a small task-specific deviation (mtl.data.related
-- with one cluster). Each task has only about 24 training examples for 30
-- weights, so a model per task alone overfits. The regulariser
--
--   lambda sum_t ||w_t - mean_s w_s||^2
--
-- on each task's linear model "head.<task>.out" pulls the tasks toward
-- their mean: every task borrows strength from the others.
--
-- On the screen: the heatmap "task distance" (||w_s - w_t||) is much paler
-- with the regulariser; "distance to mean" shows how far each task strays.
-- The test losses of the mean-regularised run are several times lower.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_regs.c asserts it): the mean-regularised model's mean
-- test loss is below half of the independent models' (lambda = 0, the same
-- network trained task by task), and its mean pairwise task distance is
-- smaller.
--
-- Run: mtlab run experiments/31_mean_regularised.lua
--      mtlab experiments/31_mean_regularised.lua     (the workbench)
local mtl = require "mtl"

local function test_loss(run) return mtl.stats.mean(mtl.stats.task_values(run, "test_loss")) end

local T = 8
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local independent = mtl.experiment {
  name = "independent",
  description = [[
Eight similar linear tasks, ~24 training examples each for 30 weights.
lambda = 0: each task learns alone (the regulariser only reports).]],
  -- each example belongs to one task; 40 per task, 60% of them for training
  data = mtl.data.related { tasks = T, clusters = 1, d = 30, support = 30, within = 0.3,
                            n_each = 40, noise = 0.5, seed = 5 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = {}, head = {} },
  regularizers = { mtl.reg.mean_reg { lambda = 0 } },
  optim = mtl.optim.sgd { lr = 0.05 },
  train = { batch = 32, epochs = 150, seed = 1 },
}

return mtl.compare {
  independent,
  mtl.variant(independent, { name = "mean regularised",
    description = "The same tasks pulled toward their mean weight vector.",
    regularizers = { mtl.reg.mean_reg { lambda = 0.1 } } }),
  claim = {
    text = "the mean-regularised model's mean test loss is below half of the independent one's, and its tasks "
      .. "draw together (mean pairwise weight distance below 0.8 of independent)",
    check = function(r)
      local function mean_distance(run)
        local v = {}
        for _, row in ipairs(run.matrices["task distance"].last) do for _, x in ipairs(row) do v[#v + 1] = x end end
        return mtl.stats.mean(v)
      end
      local indep, meanreg = test_loss(r[1]), test_loss(r[2])
      local d1, d2 = mean_distance(r[1]), mean_distance(r[2])
      return meanreg < 0.5 * indep and d2 < 0.8 * d1,
        string.format("test loss: mean regularised %.4f, independent %.4f; task distance %.3f vs %.3f", meanreg,
                      indep, d2, d1)
    end,
    seeds = { 1 }, draws = { 0, 1, 2, 3, 4 },
  },
}

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
-- The claim (tests/test_e2e_regs.c): the mean-regularised model's mean
-- test loss is below half of the independent models' (lambda = 0, the same
-- network trained task by task), and its mean pairwise task distance is
-- smaller.
--
-- Run: mtlab run experiments/31_mean_regularised.lua
--      mtlab experiments/31_mean_regularised.lua     (the workbench)
local mtl = require "mtl"

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
}

-- 33_task_covariance.lua - learning the task covariance (Zhang & Yeung 2010,
-- MTRL; survey section 5.2).
--
-- The same eight tasks in two hidden clusters as 32_task_clustering.lua,
-- but nothing is told about clusters: the regulariser
--
--   lambda/2 tr(W Omega^-1 W^T)
--
-- on the tasks' linear models couples tasks through a task covariance
-- Omega (T x T, trace 1), which every 50 steps takes its closed-form value
-- for the current weights, Omega = (W^T W)^{1/2} / tr((W^T W)^{1/2}).
-- Tasks that Omega finds correlated are pulled together; uncorrelated ones
-- are left alone.
--
-- On the screen: "task correlation" (Omega normalised to unit diagonal)
-- shows the two clusters as two bright blocks; "task covariance" is Omega
-- itself. Compare with data.clusters in config.json.
--
-- The claim (tests/test_e2e_regs.c): the learned correlation is higher
-- within the true clusters than across them (mean within minus mean across
-- above 0.3), and the model's mean test loss is below the independent
-- models'.
--
-- Run: mtlab run experiments/33_task_covariance.lua
--      mtlab experiments/33_task_covariance.lua     (the workbench)
local mtl = require "mtl"

local T = 8
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local independent = mtl.experiment {
  name = "independent",
  description = "Eight tasks in two hidden clusters; each task learns alone.",
  data = mtl.data.related { tasks = T, clusters = 2, d = 30, support = 30, within = 0.3,
                            n_each = 40, noise = 0.5, seed = 7 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = {}, head = {} },
  regularizers = { mtl.reg.mean_reg { lambda = 0 } },
  optim = mtl.optim.sgd { lr = 0.05 },
  train = { batch = 32, epochs = 150, seed = 1 },
}

return mtl.compare {
  independent,
  mtl.variant(independent, { name = "task covariance",
    description = "MTRL: Omega learned in closed form every 50 steps.",
    regularizers = { mtl.reg.task_cov { lambda = 0.1, update_every = 50 } } }),
}

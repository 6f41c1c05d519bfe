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
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_regs.c asserts it): the learned correlation is higher
-- within the true clusters than across them (mean within minus mean across
-- above 0.3), and the model's mean test loss is below the independent
-- models'.
--
-- Run: mtlab run experiments/33_task_covariance.lua
--      mtlab experiments/33_task_covariance.lua     (the workbench)
local mtl = require "mtl"

-- the claim's measures, shared with 32_task_clustering.lua: a run's mean test
-- loss, and the mean of a task matrix within the true clusters and across
local clusters = require "lib.task_clusters"
local test_loss, within_across = clusters.test_loss, clusters.within_across

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
  claim = {
    text = "the learned task correlation is higher within the true clusters than across them (by more than 0.3), "
      .. "and the task-covariance model's mean test loss is below 0.8 of the independent one's",
    check = function(r)
      local within, across = within_across(r[2].matrices["task correlation"].last, r[2].config.data.clusters)
      local indep, cov = test_loss(r[1]), test_loss(r[2])
      return within - across > 0.3 and cov < 0.8 * indep,
        string.format("task correlation %.2f within true clusters, %.2f across; test loss task covariance %.4f, "
                      .. "independent %.4f", within, across, cov, indep)
    end,
    seeds = { 1 }, draws = { 0, 1, 2, 3, 4 },
  },
}

-- 32_task_clustering.lua - clustered multi-task learning (Jacob, Bach & Vert
-- 2009; survey section 5.2).
--
-- Eight linear regression tasks in two hidden clusters: tasks of a cluster
-- share a weight vector up to a small deviation; the two clusters' vectors
-- are orthogonal (mtl.data.related with clusters = 2). Few examples per task.
--
-- Three ways to train them:
--   independent       each task alone (mean_reg with lambda = 0),
--   mean regularised  every task pulled toward ONE common mean: wrong here,
--                     the two clusters have nothing in common,
--   clustered         the cluster norm: every 50 steps k-means on the task
--                     weight vectors assigns clusters; in between, tasks are
--                     pulled toward their cluster's mean (eps_w), the
--                     cluster means toward the global mean (eps_b = 0 here)
--                     and the global mean toward zero (eps_m = 0 here).
--
-- On the screen: "cluster co-membership" (1 when two tasks are in the same
-- cluster) settles on a two-block pattern; compare it with the true
-- clusters in config.json (data.clusters). "task distance" shows two tight
-- groups far apart.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_regs.c asserts it): the learned co-membership equals the
-- true clustering (mean co-membership 1 within true clusters and 0
-- across, with margins), and the clustered model's mean test loss is
-- below both the independent and the mean-regularised models'.
--
-- Run: mtlab run experiments/32_task_clustering.lua
--      mtlab experiments/32_task_clustering.lua     (the workbench)
local mtl = require "mtl"

-- the claim's measures, shared with 33_task_covariance.lua: a run's mean test
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
  mtl.variant(independent, { name = "mean regularised",
    description = "One common mean for two clusters: the wrong prior.",
    regularizers = { mtl.reg.mean_reg { lambda = 0.1 } } }),
  mtl.variant(independent, { name = "clustered",
    description = "k-means clusters of the task weights, pulled to their cluster mean.",
    regularizers = { mtl.reg.cluster { clusters = 2, update_every = 50,
                                       eps_m = 0, eps_b = 0, eps_w = 0.1 } } }),
  claim = {
    text = "the learned co-membership equals the true clusters (at least 0.9 within, at most 0.1 across), and the "
      .. "clustered model's mean test loss is below 0.8 of both the independent and the mean-regularised one's",
    check = function(r)
      local within, across = within_across(r[3].matrices["cluster co-membership"].last, r[3].config.data.clusters)
      local indep, meanreg, clustered = test_loss(r[1]), test_loss(r[2]), test_loss(r[3])
      return within >= 0.9 and across <= 0.1 and clustered < 0.8 * indep and clustered < 0.8 * meanreg,
        string.format("co-membership %.2f within true clusters, %.2f across; test loss clustered %.4f, independent "
                      .. "%.4f, mean regularised %.4f", within, across, clustered, indep, meanreg)
    end,
    seeds = { 1 }, draws = { 0, 1, 2, 3, 4 },
  },
}

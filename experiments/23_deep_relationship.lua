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
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_experts.c asserts it): in the last published task
-- correlation, the mean over pairs within the true clusters exceeds the
-- mean across them by more than 0.4, and drn's mean test loss is at most
-- 0.9 times hard sharing's.
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

return mtl.compare {
  hard,
  mtl.variant(hard, {
    name = "drn",
    description = "The same with a task-covariance prior on the output layer.",
    topology = mtl.share.drn { trunk = { 16 }, head = {}, lambda = 0.2, update_every = 20 } }),
  claim = {
    text = "in DRN's last task correlation the mean over pairs within the true clusters exceeds the mean across "
      .. "them by more than 0.4, and DRN's mean test loss is at most 0.9 times hard sharing's",
    check = function(r)
      local cl, C = r.drn.config.data.clusters, r.drn.matrices["task correlation"].last
      local win, acr = {}, {}
      for i = 1, #cl do
        for j = 1, #cl do
          if i ~= j then
            if cl[i] == cl[j] then win[#win + 1] = C[i][j] else acr[#acr + 1] = C[i][j] end
          end
        end
      end
      local w, a = mtl.stats.mean(win), mtl.stats.mean(acr)
      local hard = mtl.stats.mean(mtl.stats.task_values(r.hard, "test_loss"))
      local drn = mtl.stats.mean(mtl.stats.task_values(r.drn, "test_loss"))
      return w - a > 0.4 and drn <= 0.9 * hard,
        string.format("correlation within %.3f, across %.3f; mean test loss hard %.4f, drn %.4f (%.2fx)", w, a, hard,
                      drn, drn / hard)
    end,
    seeds = { 1, 2, 3, 4, 5 }, draws = { 0, 1, 2 },
  },
}

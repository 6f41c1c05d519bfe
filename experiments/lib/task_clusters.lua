-- lib/task_clusters.lua - what the claims of 32_task_clustering.lua and
-- 33_task_covariance.lua read from their runs, written once for both.
local mtl = require "mtl"

local M = {}

-- A run's mean test loss over its tasks.
function M.test_loss(run) return mtl.stats.mean(mtl.stats.task_values(run, "test_loss")) end

-- The mean of the task matrix A[s][t] over pairs s ~= t in the same true
-- cluster (cl[s] == cl[t]: config.data.clusters), and over pairs across.
function M.within_across(A, cl)
  local w, a = {}, {}
  for s = 1, #cl do
    for t = 1, #cl do
      if s ~= t then
        if cl[s] == cl[t] then w[#w + 1] = A[s][t] else a[#a + 1] = A[s][t] end
      end
    end
  end
  return mtl.stats.mean(w), mtl.stats.mean(a)
end

return M

-- 38_hierarchical_bayes.lua - a hierarchical Bayesian linear model (in the
-- spirit of Bakker & Heskes 2003; survey section 5): each task's weights
-- are drawn from a shared Gaussian prior whose mean and covariance are
-- learned from all the tasks (empirical Bayes, by EM).
--
-- 1. "one prior": sixteen linear tasks around one common weight vector
--    (mtl.data.related with one cluster: w_t = v + 0.3 g_t on 10 inputs),
--    about 18 training examples each for 11 weights (with the intercept).
--    Alone, each task overfits; the learned prior N(mu, s I) pulls every
--    task toward what the tasks share, as much as the data say it should.
-- 2. "two clusters": twelve tasks in two hidden clusters; a mixture of two
--    priors (clusters = 2) finds which tasks belong together.
-- `baselines = true` fits the same model to each task alone (its prior
-- learned from that task only): delta_m's reference.
--
-- Why an isotropic prior covariance (the default): with 16 tasks a full
-- 11 x 11 covariance is poorly determined and maximum likelihood drives
-- some of its variances to zero (try cov = "full" and watch "prior sd"):
-- those tasks are then forced to agree where they do not.
--
-- On the screen: "prior mean" settles on the common weights; "task
-- weights" shows every task's posterior mean drawn toward it; in the
-- second experiment "cluster co-membership" shows two blocks.
--
-- The claim (the `claim` at the end of this script: `mtlab run` prints
-- its verdict; `make test-claims` checks it on 5 training seeds x 3 data
-- draws), measured before on 5 seeds x 3 draws (--set data.seed=1..3):
--   - the hierarchical model beats each task alone: delta_m above +5%
--     (observed at least +18.6%);
--   - with two clusters the co-membership is at least 0.9 within the true
--     clusters and at most 0.1 across (observed 1.00 and 0.00). The
--     mixture's delta_m is not claimed: +0.8% to +21.4% (six tasks per
--     cluster teach each prior less).
-- Beside the claim, tests/test_e2e_nonneural.c checks the EM against the
-- generator: the learned prior mean is within 10% (relative, Euclidean)
-- of the tasks' mean true weight vector (the data's generator rerun from
-- config.json; observed at most 5.6%).
--
-- Run: mtlab run experiments/38_hierarchical_bayes.lua
--      mtlab experiments/38_hierarchical_bayes.lua     (the workbench)
local mtl = require "mtl"

local function task_list(T)
  local tasks = {}
  for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end
  return tasks
end

-- 60 examples per task, each labelled for its own task: 30% for training,
-- 20% validation, 50% test (the test losses per task need enough points)
local one = mtl.experiment {
  name = "one prior",
  description = [[
Sixteen linear tasks around one common weight vector, ~18 training examples
each for 11 weights. The learned prior N(mu, s I) pulls each task toward
the others as much as the data say it should.]],
  data = mtl.data.related { tasks = 16, clusters = 1, d = 10, support = 10, within = 0.3, n_each = 60,
                            noise = 0.5, val = 0.2, test = 0.5, seed = 1 },
  tasks = task_list(16),
  topology = mtl.model.hier_bayes { cov = "iso", noise = "shared" },
  train = { steps = 300, eval_every = 10, seed = 1, baselines = true },
}

local two = mtl.experiment {
  name = "two clusters",
  description = [[
Twelve tasks in two hidden clusters; a mixture of two priors finds them
(cluster co-membership, key m).]],
  data = mtl.data.related { tasks = 12, clusters = 2, d = 10, support = 10, within = 0.3, n_each = 60,
                            noise = 0.5, val = 0.2, test = 0.5, seed = 1 },
  tasks = task_list(12),
  topology = mtl.model.hier_bayes { clusters = 2, cov = "iso", noise = "shared" },
  train = { steps = 300, eval_every = 10, seed = 1, baselines = true },
}

return {
  one, two,
  claim = {
    text = "the hierarchical model beats each task alone (delta_m above +5%), and with two clusters the "
      .. "co-membership is at least 0.9 within the true clusters and at most 0.1 across",
    check = function(r)
      local two = r["two clusters"]
      local cl, co = two.config.data.clusters, two.matrices["cluster co-membership"].last
      local within, across = 1, 0
      for s = 1, #cl do
        for t = 1, #cl do
          if s ~= t then
            if cl[s] == cl[t] then within = math.min(within, co[s][t]) else across = math.max(across, co[s][t]) end
          end
        end
      end
      local dm = r["one prior"].delta_m_percent
      return dm > 5 and within >= 0.9 and across <= 0.1,
        string.format("delta_m %+.1f%% (one prior), %+.1f%% (two clusters); co-membership %.2f within, %.2f across",
                      dm, two.delta_m_percent, within, across)
    end,
    seeds = { 1, 2, 3, 4, 5 }, draws = { 0, 1, 2 },
  },
}

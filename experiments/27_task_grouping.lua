-- 27_task_grouping.lua - which tasks should train together? (survey
-- section 6.9, "What should I share in my model?"; Fifty et al. 2021,
-- "Efficiently identifying task groupings for multi-task learning").
--
-- Six regression tasks in two hidden clusters (mtl.data.related with
-- clusters = 2): the tasks of a cluster share a weight vector up to a
-- small deviation, the two clusters' vectors are orthogonal. The network
-- is narrow on purpose: one trunk of 4 units cannot serve both clusters'
-- tasks well, one per cluster can.
--
-- mtl.search.groups first trains all the tasks together for `measure`
-- steps and measures, at every step, the lookahead transfer affinity
-- (how much one SGD step on task i alone lowers task j's loss); the mean
-- over that short run is the affinity matrix. The partition of the tasks
-- into k = 2 groups with the highest total affinity (every grouping is
-- scored: 31 of them here) is proposed, and three experiments train for
-- the same `budget` of steps with single-task baselines:
--   groups       one network per proposed group,
--   all in one   every task in one network (hard sharing),
--   all apart    every task in its own network.
-- The report gives delta_m for each: the mean relative improvement of the
-- test metric over each task trained alone (positive is better). "all
-- apart" trains the same networks as those single-task baselines, only
-- from other initial values: its delta_m (from about -50% to +10% over
-- the seeds and draws) shows how much such narrow networks depend on
-- their start; the claim's margin between groups and all in one is far
-- wider than that (55 to 200 points).
--
-- On the screen: "group affinity" is the measured affinity with the tasks
-- in group order, so each group is a block on the diagonal.
--
-- The claim (the `claim` below: `mtlab run` prints its verdict,
-- tests/test_e2e_groups.c asserts it): the proposed groups are exactly the
-- true clusters, and training in them beats all in one on delta_m.
--
-- Run: mtlab run experiments/27_task_grouping.lua
--      mtlab experiments/27_task_grouping.lua     (the workbench)
local mtl = require "mtl"

local T = 6
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local base = mtl.experiment {
  name = "task grouping",
  description = "Six tasks in two hidden clusters on a narrow network: which tasks should share it?",
  data = mtl.data.related { tasks = T, clusters = 2, d = 12, support = 12, within = 0.1,
                            n_each = 600, noise = 0.1, shared = true, seed = 3 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = { 4 }, head = {}, act = "tanh" },
  optim = mtl.optim.adam { lr = 1e-2 },
  train = { batch = 64, steps = 600, eval_every = 100, seed = mtl.seeds(1)[1] },
}

local runs, found = mtl.search.groups { base = base, k = 2, budget = 600, measure = 200 }

-- delta_m of a run (mean over the main tasks, in percent)
local function dm(run) return run.delta_m_percent end

runs.claim = {
  text = "the proposed two groups are exactly the true clusters, and training in them beats all in one: "
    .. "delta_m of the groups (higher is better) exceeds that of all in one by at least 10 points",
  check = function(r)
    local cl = r[1].config.data.clusters
    local same = true
    for i = 1, T do
      for j = 1, T do same = same and ((found.groups[i] == found.groups[j]) == (cl[i] == cl[j])) end
    end
    local g, one, apart = dm(r["groups"]), dm(r["all in one"]), dm(r["all apart"])
    return same and g > one + 10,
      string.format("groups %s (%s the true clusters); delta_m groups %+.1f%%, all in one %+.1f%%, all apart %+.1f%%",
                    found.text, same and "equal to" or "NOT", g, one, apart)
  end,
  seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
}

return runs

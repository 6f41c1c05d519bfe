-- 20_mmoe_correlation.lua - multi-gate mixture of experts against a shared
-- bottom as the tasks' correlation drops (Ma et al., KDD 2018; the
-- mixture-of-experts branch of the method map after Ruder's survey).
--
-- Data: Ma et al.'s synthetic pair (mtl.data.mmoe): two regression tasks
-- y_k = w_k'x + sum_i sin(alpha_i w_k'x + beta_i) + noise, whose weight
-- vectors have cosine p. At p = 1 the tasks are the same; at p = 0 they
-- look at orthogonal directions of the input.
--
-- Four networks, each at p = 1 and at p = 0, each with 3 seeds (24 runs):
--   shared-bottom  hard sharing: one 4-unit layer for both tasks, then a
--                  head per task;
--   wide-bottom    the same with a 16-unit layer: the mixtures' budget;
--   omoe           4 experts of 4 units, ONE softmax gate mixing them;
--   mmoe           the same experts, one gate PER TASK.
-- An expert is as wide as the narrow shared bottom, so the mixtures have
-- about four times its parameters: the bottleneck view of the paper's
-- claim - what happens to a narrow shared representation when the tasks
-- stop agreeing. The wide bottom is the equal-budget control.
--
-- What to watch on the screen: the loss plot of each run; the heatmap's
-- "expert usage" (task x expert, the mean gate value over the last
-- batch): at p = 0 the two tasks' MMoE gates settle on different experts,
-- at p = 1 they may share. OMoE's rows are identical by construction.
--
-- The claims (declared at the end; `mtlab run` checks them on the shipped
-- seeds, `mtlab run --claims-thorough` over training seeds 1-15 x data
-- draws 0-2, --draw): the first and third points below. The second holds
-- on average but not in every run of three seeds (2 of 15 reversed in the
-- thorough check), so it is stated, not checked on a single run. Measured over training
-- seeds 1-5 x data seeds 1-5 (25 paired runs; a few 4-unit bottoms
-- collapse, so the statistic is the geometric mean of the per-run loss
-- ratios, with a 95% interval):
--   * at p = 0 the narrow shared bottom's mean test loss is 2.03 times
--     MMoE's [1.38, 2.99] (at p = 1: 1.31 [1.00, 1.73]); margin > 1.2;
--   * it degrades more from p = 1 to p = 0: its ratio p=0 / p=1 is 1.76
--     [1.26, 2.46], MMoE's 1.14 [0.99, 1.31]; paired, 1.55 times MMoE's
--     [1.10, 2.17] (thorough, 45 seeds: 1.40 [1.12, 1.75]);
--   * one gate for both tasks (OMoE) is worse than a gate per task at
--     p = 0: 1.61 times MMoE's loss [1.29, 2.02]; margin > 1 (so the
--     gates matter, not only the extra experts);
--   * at an equal budget the effect is gone: the 16-unit bottom against
--     MMoE, 0.90 [0.77, 1.05] at p = 0 and 0.99 [0.86, 1.14] at p = 1 - a
--     null in these small runs (Ma et al.'s larger experiments show one).
-- So what these runs teach: MMoE's per-task gates rescue a NARROW shared
-- representation when the tasks stop agreeing; they do not beat a shared
-- layer with the same number of units.
--
-- Run: mtlab run experiments/20_mmoe_correlation.lua
--      mtlab experiments/20_mmoe_correlation.lua     (the workbench)
local mtl = require "mtl"

local runs = {}
for _, p in ipairs { 1.0, 0.0 } do
  for _, seed in ipairs(mtl.seeds(3)) do
    local base = mtl.experiment {
      name = string.format("shared-bottom p=%g s%d", p, seed),
      description = "Hard sharing: one narrow layer serves both tasks.",
      data = mtl.data.mmoe { tasks = 2, d = 16, p = p, m = 10, c = 1, noise = 0.1,
                             train = 8000, val = 1000, test = 2000, seed = seed },
      tasks = { mtl.task.regress { name = "y1", target = "y1" },
                mtl.task.regress { name = "y2", target = "y2" } },
      topology = mtl.share.hard { trunk = { 4 }, head = { 8 } },
      optim = mtl.optim.adam { lr = 3e-3 },
      train = { batch = 64, epochs = 20, seed = seed },
    }
    runs[#runs + 1] = base
    runs[#runs + 1] = mtl.variant(base, {
      name = string.format("wide-bottom p=%g s%d", p, seed),
      description = "Hard sharing at the mixtures' budget: one 16-unit layer.",
      topology = mtl.share.hard { trunk = { 16 }, head = { 8 } } })
    runs[#runs + 1] = mtl.variant(base, {
      name = string.format("omoe p=%g s%d", p, seed),
      description = "One gate mixes four experts for both tasks.",
      topology = mtl.share.omoe { experts = 4, expert = { 4 }, head = { 8 } } })
    runs[#runs + 1] = mtl.variant(base, {
      name = string.format("mmoe p=%g s%d", p, seed),
      description = "Each task's own gate mixes four shared experts.",
      topology = mtl.share.mmoe { experts = 4, expert = { 4 }, head = { 8 } } })
  end
end
-- the mean test loss of the run called `name` (e.g. "mmoe p=0 s2")
local function loss(r, name)
  local t = r[name].tasks
  return (t.y1.test_loss + t.y2.test_loss) / 2
end
-- A second claim, on the second experiment: one gate for both tasks is worse.
runs[2].claim = {
  text = "at p = 0 one gate for both tasks (OMoE) is worse than a gate per task: the geometric mean of the "
    .. "per-seed ratio OMoE / MMoE over seeds x draws is above 1 (measured 1.61 [1.29, 2.02] over seeds "
    .. "1-5 x 5 data seeds)",
  measure = function(r)
    local v = {}
    for _, seed in ipairs(mtl.seeds(3)) do
      v[#v + 1] = math.log(loss(r, "omoe p=0 s" .. seed) / loss(r, "mmoe p=0 s" .. seed))
    end
    return v, "log(omoe / mmoe) at p = 0 per seed"
  end,
  above = 0,
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
local list = mtl.compare(runs)
list.claim = {
  text = "at p = 0 the narrow shared bottom's test loss is more than 1.2 times MMoE's: the geometric "
    .. "mean of the per-seed ratios over seeds x draws (measured 2.03 [1.38, 2.99] over seeds 1-5 x 5 "
    .. "data seeds)",
  measure = function(r)
    local v = {}
    for _, seed in ipairs(mtl.seeds(3)) do
      v[#v + 1] = math.log(loss(r, "shared-bottom p=0 s" .. seed) / loss(r, "mmoe p=0 s" .. seed))
    end
    return v, "log(shared-bottom / mmoe) at p = 0 per seed"
  end,
  above = math.log(1.2),
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
return list

-- 21_ple.lua - customized gate control and progressive layered extraction
-- (Tang et al., RecSys 2020): experts of each task beside shared experts.
--
-- Data: Ma et al.'s synthetic pair (mtl.data.mmoe) with conflicting tasks:
-- the weight vectors have cosine p = -0.5.
--
-- Four networks, 3 seeds each, every expert as wide as the shared bottom
-- (4 units):
--   shared-bottom  hard sharing, one 4-unit layer for both tasks;
--   mmoe           4 shared experts, a gate per task;
--   cgc            per level 1 expert of each task (task t's alone) and 2
--                  shared experts; each task's gate mixes its own expert
--                  and the shared ones;
--   ple            two CGC levels; below the top a shared gate mixes ALL
--                  experts of the level into the next level's shared
--                  experts, the task gates feed the task experts above.
--
-- What to watch on the screen: "expert usage" - for CGC/PLE one row per
-- task, columns = its own expert, then the shared ones (the top level);
-- PLE also shows "expert usage L1" and "shared gate L1" (columns: task
-- y1's expert, task y2's, then the shared ones). Conflicting tasks tend to
-- settle on different experts; which ones varies with the seed.
--
-- The claim (declared at the end; `mtlab run` checks it on the shipped
-- seeds, `mtlab run --claims-thorough` over training seeds 1-15 x data
-- draws 0-2, --draw): the expert networks beat the narrow shared bottom -
-- the geometric mean of their per-seed loss ratios to it, pooled over
-- MMoE, CGC and PLE, is below 0.95. Measured per network over training
-- seeds 1-5 x data seeds 1-5 (25 paired runs; 95% intervals): MMoE 0.55
-- times its loss [0.41, 0.74], CGC 0.62 [0.48, 0.81], PLE 0.44 [0.34, 0.58]
-- - but single runs spread widely (CGC from 0.1 to 2.5 times). Task-
-- specific experts in one level do NOT show a gain over shared experts
-- alone: CGC / MMoE is 1.13 [0.93, 1.38], a null. The two-level PLE does a
-- little better than MMoE, 0.80 [0.68, 0.94]. What rescues the
-- conflicting tasks here is a gate per task over several experts, not
-- experts of their own. Every usage row is a distribution (sums to 1;
-- tests/test_e2e_experts.c).
--
-- Run: mtlab run experiments/21_ple.lua
--      mtlab experiments/21_ple.lua     (the workbench)
local mtl = require "mtl"

local runs = {}
for _, seed in ipairs(mtl.seeds(3)) do
  local base = mtl.experiment {
    name = string.format("shared-bottom s%d", seed),
    description = "Hard sharing: one narrow layer serves two conflicting tasks.",
    data = mtl.data.mmoe { tasks = 2, d = 16, p = -0.5, m = 10, c = 1, noise = 0.1,
                           train = 8000, val = 1000, test = 2000, seed = seed },
    tasks = { mtl.task.regress { name = "y1", target = "y1" },
              mtl.task.regress { name = "y2", target = "y2" } },
    topology = mtl.share.hard { trunk = { 4 }, head = { 8 } },
    optim = mtl.optim.adam { lr = 3e-3 },
    train = { batch = 64, epochs = 20, seed = seed },
  }
  runs[#runs + 1] = base
  runs[#runs + 1] = mtl.variant(base, {
    name = string.format("mmoe s%d", seed),
    description = "Four shared experts, a gate per task.",
    topology = mtl.share.mmoe { experts = 4, expert = { 4 }, head = { 8 } } })
  runs[#runs + 1] = mtl.variant(base, {
    name = string.format("cgc s%d", seed),
    description = "One expert per task and two shared, a gate per task.",
    topology = mtl.share.cgc { task_experts = 1, shared_experts = 2, expert = { 4 }, head = { 8 } } })
  runs[#runs + 1] = mtl.variant(base, {
    name = string.format("ple s%d", seed),
    description = "Two CGC levels linked by a shared gate.",
    topology = mtl.share.ple { task_experts = 1, shared_experts = 2, levels = 2,
                               expert = { 4 }, head = { 8 } } })
end
local function loss(r, name)
  local t = r[name].tasks
  return (t.y1.test_loss + t.y2.test_loss) / 2
end
local list = mtl.compare(runs)
list.claim = {
  text = "the expert networks (MMoE, CGC, PLE) beat the narrow shared bottom: the geometric mean "
    .. "of their per-seed loss ratios to it, over the three networks x seeds x draws, is below 0.95 (measured MMoE 0.55 "
    .. "[0.41, 0.74], CGC 0.62 [0.48, 0.81], PLE 0.44 [0.34, 0.58] over seeds 1-5 x 5 data seeds); "
    .. "CGC against MMoE is a null (1.13 [0.93, 1.38]), so it is not claimed",
  measure = function(r)
    local v = {}
    for _, seed in ipairs(mtl.seeds(3)) do
      local sb = loss(r, "shared-bottom s" .. seed)
      for _, m in ipairs { "mmoe", "cgc", "ple" } do
        v[#v + 1] = math.log(loss(r, m .. " s" .. seed) / sb)
      end
    end
    return v, "log(expert network / shared bottom) per seed and network"
  end,
  below = math.log(0.95),
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
return list

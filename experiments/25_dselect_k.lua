-- 25_dselect_k.lua - DSelect-k gates (Hazimeh et al., NeurIPS 2021)
-- against MMoE's softmax gates on Ma et al.'s synthetic pair.
--
-- Data: mtl.data.mmoe as in 20_mmoe_correlation.lua, two regression tasks
-- whose weight vectors have cosine p = 0 (they look at orthogonal
-- directions of the input), 8000 training examples.
--
-- Two networks with the same 8 experts of 4 units and heads of 8, 3 seeds
-- each (6 runs; --seed N runs seeds N, N+1, N+2, each with its own data
-- draw):
--   mmoe        a softmax gate per task over the 8 experts: every expert
--               gets some weight;
--   dselect_k   a DSelect-k gate per task with k = 2 selectors: each
--               selector addresses one expert by a 3-bit binary code,
--               smoothed by a cubic step of width gamma = 1; a code
--               whose |z| reaches gamma / 2 is exactly 0 or 1, so once
--               every code has saturated the gate puts weight on at most
--               two experts (per input: the gates read the input).
--
-- What to watch on the screen: the heatmap's "expert usage" (task x
-- expert, the mean gate value over the last batch) - spread over the
-- experts for mmoe, concentrated for dselect_k - and 'c' for the test
-- losses side by side.
--
-- What the runs show: DSelect-k is no better than MMoE here; it is worse.
-- Test MSE (y1, y2) on seeds 1-3: mmoe 0.020/0.026, 0.031/0.028,
-- 0.014/0.018; dselect_k 0.016/0.108, 0.044/0.034, 0.066/0.026. The claim
-- at the end says it as a statistic: the per-seed ratio of the mean test
-- losses, dselect_k / mmoe, has a geometric mean of 1.38 [1.20, 1.58]
-- (95% interval) over 45 paired runs (--claims-thorough: --seed 1, 4, 7,
-- 10, 13, each running three seeds, x --draw 0-2). Single ratios range
-- from 0.46 to 5.1, so one seed can show DSelect-k ahead, and one run of
-- the script's three seeds did (0.75 for --seed 10); the claim's margin,
-- above 0.7, is one every such run cleared: "no better", not "worse".
-- Its mean expert usage is more concentrated
-- (the two most used experts carry 0.58 to 0.85 of a task's gate, MMoE's
-- 0.40 to 0.86), but the batch mean hides the per-input choice: with
-- gates that read the input, each example can pick different experts.
-- The paper trains longer and adds an entropy regulariser that pushes
-- every selector to a binary code; mtlab's dselect_k has no regulariser,
-- so nothing forces the gate to commit. (A code with |z| >= gamma / 2 gets
-- no gradient through the flat step; whether that is what holds these
-- runs back is not measured here.)
--
-- Run: mtlab run experiments/25_dselect_k.lua
--      mtlab experiments/25_dselect_k.lua   (the workbench)
local mtl = require "mtl"

local runs = {}
for _, seed in ipairs(mtl.seeds(3)) do
  local base = mtl.experiment {
    name = string.format("mmoe s%d", seed),
    description = "Each task's softmax gate mixes eight shared experts.",
    data = mtl.data.mmoe { tasks = 2, d = 16, p = 0, m = 10, c = 1, noise = 0.1,
                           train = 8000, val = 1000, test = 2000, seed = seed },
    tasks = { mtl.task.regress { name = "y1", target = "y1" },
              mtl.task.regress { name = "y2", target = "y2" } },
    topology = mtl.share.mmoe { experts = 8, expert = { 4 }, head = { 8 } },
    optim = mtl.optim.adam { lr = 3e-3 },
    train = { batch = 64, epochs = 20, seed = seed },
  }
  runs[#runs + 1] = base
  runs[#runs + 1] = mtl.variant(base, {
    name = string.format("dselect_k s%d", seed),
    description = "Each task's DSelect-k gate: two binary-coded selectors over eight shared experts.",
    topology = mtl.share.dselect_k { experts = 8, k = 2, expert = { 4 }, head = { 8 } } })
end
-- the mean test loss of the run called `name` (e.g. "mmoe s2")
local function loss(r, name)
  local t = r[name].tasks
  return (t.y1.test_loss + t.y2.test_loss) / 2
end
local list = mtl.compare(runs)
list.claim = {
  text = "at this budget DSelect-k's gates are no better than MMoE's: the geometric mean of the per-seed ratio "
    .. "of test losses (mean of y1 and y2) dselect_k / mmoe over seeds x draws is above 0.7, a margin every run "
    .. "of the script's three seeds cleared (0.75 to 2.67); measured 1.38 [1.20, 1.58] over 45 paired runs, "
    .. "seeds 1-15 x draws 0-2 - worse on average; single ratios 0.46 to 5.1",
  measure = function(r)
    local v = {}
    for _, seed in ipairs(mtl.seeds(3)) do
      v[#v + 1] = math.log(loss(r, "dselect_k s" .. seed) / loss(r, "mmoe s" .. seed))
    end
    return v, "log(dselect_k / mmoe) per seed"
  end,
  above = math.log(0.7),
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
return list

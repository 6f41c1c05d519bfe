-- 59_which_auxiliary.lua - which auxiliary task helps? (survey section
-- 7.9, "What auxiliary tasks are helpful?")
--
-- One main regression task with scarce labels and five candidate
-- auxiliary tasks labelled on every example. All six are linear in 30
-- inputs (times 3, label noise sd 0.5): the main task's weight vector and
-- two candidates' ("rel1", "rel2") scatter around one direction (spread
-- 0.15), three candidates' ("unrel1".."unrel3") around an orthogonal one.
-- The main task is labelled on one example in 8: about 100 training
-- labels for 30 inputs, about 750 test labels. Each candidate is trained
-- beside the main task in one narrow network (a trunk of 4 tanh units,
-- linear heads); baselines = true gives the main task alone.
--
-- What is measured per candidate, before any benefit is known:
--   "aux cosine"   the cosine of each task's gradient on the shared
--                  parameters with the main task's, at every step: the
--                  signal Du et al. (2018) gate on (weighting "aux_gate"
--                  uses an auxiliary gradient only while it is positive),
--   "label stats"  the entropy (class targets) and kurtosis of the labels
--                  (Alonso & Plank 2017), published at the start,
--   curve_slope    the slope of the main task's validation loss (per
--                  step, over its last three evaluations) at 10, 20, 30,
--                  50 and 70% of training, with the candidate and alone
--                  (single_task_curve_slope): Bingel & Soegaard's (2017)
--                  learning-curve features; the top-ranked candidate's
--                  message prints each candidate's at 10% (no claim on
--                  it: with seed 1, -0.12 per step with rel1 or rel2,
--                  -0.05 to -0.06 with the unrelated ones, -0.10 alone:
--                  a related candidate speeds the main task's early
--                  learning, an unrelated one slows it).
-- The candidates are ranked by the size of the cosine's mean over steps 1
-- to 50 (early_cosine below says why the size and why that window). The
-- measured benefit of a candidate is the main task's test MSE with it
-- over the main task alone (the baseline: same seed, same data).
--
-- The claims (tests/test_e2e_auxtask.c asserts them as written and with
-- the learning rate times 1 + 1e-6 and 1 - 1e-6; `mtlab run
-- --claims-thorough` checks training seeds 1-5 x data draws 0-2):
--   * the ranking: the gap between the lower early cosine of the two
--     related candidates and the highest of the three others is above
--     0.03 on the mean over seeds x draws;
--   * the top-ranked candidate's benefit: in every run the main task's
--     test MSE with it is below alone, and the geometric mean of that
--     ratio over seeds x draws is below 0.8.
-- Measured over 60 runs (seeds 1-10 x draws 0-3, seeds 11-20 x draws 4-5):
-- the gap 0.109 +- 0.011 (-0.060 to +0.327): both related candidates rank
-- on top in 53 of the 60 runs; in the other 7 an unrelated one ranks
-- first or second, by at most 0.06 (a related candidate whose head starts
-- nearly orthogonal to the main task's), first in 6 of them. The
-- top-ranked candidate's ratio: geometric mean 0.563, at most 0.948 (the
-- related candidates give 0.38 to 0.78, the unrelated ones 0.48 to 1.21:
-- a second task also regularises the narrow trunk, so the unrelated
-- candidate ranked first in those 6 runs helped too, 0.61 to 0.95).
-- Over the claim's 15 runs: gap 0.154 [0.111, 0.198], log ratio -0.582
-- [-0.657, -0.508] (ratio 0.559); identical to 4 digits with the learning
-- rate times 1 +- 1e-6. An earlier setting (every example labelled for
-- every task, a noisy family from mtl.data.related) gave a stable ranking
-- but a benefit that was mostly seed noise: scarce main labels are what
-- makes the benefit measurable (as in experiments 03 and 50).
--
-- Run: mtlab run experiments/59_which_auxiliary.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(59))
local d, within, noise, scale = 30, 0.15, 0.5, 3
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local function unit(v)
  local n = 0
  for k = 1, d do n = n + v[k] * v[k] end
  for k = 1, d do v[k] = v[k] / math.sqrt(n) end
  return v
end
local function dot(v, x)
  local s = 0
  for k = 1, d do s = s + v[k] * x[k] end
  return s
end
-- two orthogonal unit directions
local ca, cb = {}, {}
for k = 1, d do ca[k], cb[k] = gauss(), gauss() end
unit(ca)
local p = dot(ca, cb)
for k = 1, d do cb[k] = cb[k] - p * ca[k] end
unit(cb)
local function near(c)
  local v = {}
  for k = 1, d do v[k] = c[k] + within * gauss() / math.sqrt(d) end
  return v
end
local w_main = near(ca)
local names = { "rel1", "rel2", "unrel1", "unrel2", "unrel3" }
local related = { rel1 = true, rel2 = true }
local w = { near(ca), near(ca), near(cb), near(cb), near(cb) }
local types = { main = "regress" }
for c = 1, 5 do types[names[c]] = "regress" end

local data = mtl.data.generate {
  n = 8000, train = 800, val = 1200, test = 6000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local y = { main = i % 8 == 0 and scale * dot(w_main, x) + noise * gauss() } -- false: no label
    for c = 1, 5 do y[names[c]] = scale * dot(w[c], x) + noise * gauss() end
    return x, y
  end,
  types = types,
}

local runs = {}
for c = 1, 5 do
  runs[c] = mtl.experiment {
    name = "with " .. names[c],
    description = "The main task with " .. names[c] .. " as its auxiliary task.",
    data = data,
    tasks = { mtl.task.regress { name = "main" }, mtl.aux.regress { name = "aux", target = names[c] } },
    topology = mtl.share.hard { trunk = { 4 }, head = {}, act = "tanh" },
    optim = mtl.optim.adam { lr = 1e-2 },
    train = { batch = 64, steps = 600, eval_every = 20, seed = mtl.seeds(1)[1], baselines = true,
              relations_every = 1 },
  }
end

-- |mean cosine| of the auxiliary gradient with the main one over steps 1
-- to TO, while the trunk is still finding its directions. Its size, not
-- its sign: the heads start random, and a related candidate whose head
-- starts with the opposite sign to the main task's pushes the trunk along
-- the same direction but the opposite way (its mean is then clearly
-- negative: -0.35 for both related candidates at seed 3), and it helps as
-- much as one whose head starts with the same sign.
local TO = 50
local function early_cosine(run)
  local s, n = 0, 0
  for _, u in ipairs(run.history("aux cosine")) do
    if u.step <= TO then s, n = s + u.value[1][2], n + 1 end
  end
  return math.abs(s / n)
end

-- the candidates ranked by early cosine (highest first), each with its
-- cosine and benefit (main test MSE with it / alone)
local function ranking(r)
  local list = {}
  for c = 1, 5 do
    local t = r[c].tasks.main
    list[c] = { name = names[c], cos = early_cosine(r[c]), ratio = t.test_metric / t.single_task_metric,
                slope = t.curve_slope[1], slope_alone = t.single_task_curve_slope[1] }
  end
  table.sort(list, function(a, b) return a.cos > b.cos end)
  return list
end

runs.claim = {
  text = "the early gradient cosine (|mean| over steps 1 to 50) ranks the two candidates of the main task's "
    .. "direction above the three others: the gap between the lowest of the two and the highest of the "
    .. "three is above 0.03 on the mean over seeds x draws (measured 0.109 +- 0.011 over 60 runs of seeds "
    .. "1-20; both on top in 53 of them)",
  measure = function(r)
    local list, low_rel, high_other = ranking(r), 2, -2
    for _, c in ipairs(list) do
      if related[c.name] then low_rel = math.min(low_rel, c.cos) else high_other = math.max(high_other, c.cos) end
    end
    return low_rel - high_other, "lowest related - highest other early cosine"
  end,
  above = 0.03,
  seeds = "1..5", draws = { 0, 1, 2 },
}
runs[1].claim = {
  text = "the top-ranked candidate helps the main task: in every run its test MSE with it is below alone "
    .. "(measured at most 0.948 times alone over 60 runs), and the geometric mean over seeds x draws is "
    .. "below 0.8 times alone (measured 0.563)",
  check = function(r)
    local list, parts = ranking(r), {}
    for i, c in ipairs(list) do
      parts[i] = string.format("%d. %s cos %.3f, main mse / alone %.3f, slope at 10%% %+.4f (alone %+.4f)", i,
        c.name, c.cos, c.ratio, c.slope, c.slope_alone)
    end
    return list[1].ratio < 1,
      string.format("top %s: main mse / alone %.3f (< 1); main alone %.3f; %s", list[1].name, list[1].ratio,
        r[1].tasks.main.single_task_metric, table.concat(parts, "; "))
  end,
  measure = function(r)
    return math.log(ranking(r)[1].ratio), "log(main mse with the top-ranked candidate / alone)"
  end,
  below = math.log(0.8),
  seeds = "1..5", draws = { 0, 1, 2 },
}
return runs

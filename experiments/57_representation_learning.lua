-- 57_representation_learning.lua - an auxiliary task for representation
-- learning (survey section 5.8): an autoencoder objective, reconstructing
-- the input, shapes the shared representation explicitly - and it needs
-- no labels, so it learns from every example while the main task has only
-- a few (semi-supervised learning through an auxiliary task).
--
-- Data: 100 noisy sensor readings of a 3-dimensional hidden state h:
-- x = A h + noise, with noise sd 3 on every reading (each reading alone
-- says little; together they pin h down). The main task, "side", is
-- which side of a plane the state is on, [h1 > 0]. Of 3000 training
-- examples only one in 50 carries that label (60 labels); the others are
-- unlabelled (the target is false). The test split has 20000 examples,
-- 400 of them labelled.
--
-- mtl.aux.reconstruct { name = "inputs" } predicts the 100 readings of
-- EVERY example through a 4-unit trunk layer: to reproduce the readings
-- through it, the trunk has to find the 3-dimensional state - from all
-- 3000 examples. The side head then works on a clean, small code.
--
-- The experiment runs with training seeds 1, 2, 3, each with baselines =
-- true: "side" alone sees only its 60 labelled examples (an unlabelled
-- example adds nothing to a task's loss). The auxiliary task is reported
-- apart and left out of delta_m.
--
-- What to watch on the screen: the reconstruction loss (dimmer) falls to
-- the noise level (about 9 per reading): all that is left is noise; the
-- side's validation loss (dashed).
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_teaching.c asserts it): on this data draw the
-- mean delta_m over the three seeds is positive (+8.1%). The gain is
-- MODEST and FRAGILE: over data draws 57 to 61 (math.randomseed) the
-- per-draw mean is +8.1, +6.1, +3.6, -0.4 and +4.4%; single runs range
-- from -10.8% to +12.9%, 13 of 15 positive. A network trained on 60
-- labels is high-variance: the autoencoder lowers the typical error, it
-- does not remove the spread.
--
-- Run: mtlab run experiments/57_representation_learning.lua
--      mtlab experiments/57_representation_learning.lua   (the workbench)
local mtl = require "mtl"

math.randomseed(mtl.data_seed(57))
local d, K = 100, 3
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local A = {}
for k = 1, d do
  A[k] = {}
  for j = 1, K do A[k][j] = gauss() end
end

local data = mtl.data.generate {
  n = 24000, train = 3000, val = 1000, test = 20000,
  fn = function(i)
    local h = {}
    for j = 1, K do h[j] = gauss() end
    local x = {}
    for k = 1, d do
      local s = 0
      for j = 1, K do s = s + A[k][j] * h[j] end
      x[k] = s + 3 * gauss()
    end
    return x, { side = i % 50 == 0 and (h[1] > 0 and 1 or 0) } -- false: unlabelled
  end,
  types = { side = "class" },
  classes = { side = 2 },
}

local runs = {}
for _, seed in ipairs(mtl.seeds(3)) do
  runs[#runs + 1] = mtl.experiment {
    name = "side (1 label in 50) + reconstruct inputs s" .. seed,
    description = [[
100 noisy readings of a 3-dimensional hidden state; only one example in
50 says which side of a plane the state is on. The auxiliary task
reconstructs the readings of every example through a 4-unit layer: an
autoencoder that learns the state from unlabelled data. Compare the
side's accuracy with the single-task column (delta_m): a modest gain.]],
    data = data,
    tasks = {
      mtl.task.classify { name = "side" },
      mtl.aux.reconstruct { name = "inputs" },
    },
    topology = mtl.share.hard { trunk = { 64, 4 } },
    optim = mtl.optim.adam { lr = 3e-3 },
    train = { batch = 64, epochs = 30, eval_every = 200, seed = seed, baselines = true },
  }
end
runs.claim = {
  text = "an autoencoder on all examples helps the scarce side task: mean delta_m over the seeds > 0; the "
    .. "autoencoder finds the state (reconstruction MSE near the noise, 9)",
  check = function(r)
    local dm, rec = {}, {}
    for i = 1, #r do dm[i], rec[i] = r[i].delta_m_percent, r[i].tasks.inputs.test_loss end
    local m, mr = mtl.stats.mean(dm), mtl.stats.mean(rec)
    return m > 0 and mr > 8 and mr < 10,
      string.format("mean delta_m %+.1f%% (> 0), reconstruction MSE %.3f (8 to 10)", m, mr)
  end,
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
return mtl.compare(runs)

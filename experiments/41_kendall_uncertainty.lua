-- 41_kendall_uncertainty.lua - homoscedastic uncertainty weighting
-- (Kendall, Gal & Cipolla 2018) on their two-task regression toy.
--
-- Data (mtl.data.kendall): x ~ U(-1, 1), y1 = 2x + 8 + 10 e1, y2 = 3x + 3
-- + e2 with unit normal noise: task 1 is ten times noisier than task 2.
-- A small shared network fits both (the best it can do is the noise: an
-- MSE near 100 for y1 and near 1 for y2).
--
-- The method learns s_i = log sigma_i^2 per task and minimises
--   sum_i c_i exp(-s_i) L_i + s_i / 2,   c_i = 1/2 for regression,
-- so the loss weight is w_i = c_i exp(-s_i) = 1 / (2 sigma_i^2). At fixed
-- losses d/ds_i = 0 gives s_i = log(2 c_i L_i) = log L_i: sigma_i =
-- sqrt(L_i), the RMS error of task i. With L1 ~ 100 and L2 ~ 1:
--   sigma_1 / sigma_2 -> sqrt(100 / 1) = 10, the noise ratio,
--   w_1 / w_2 -> 1/100: the noisy task's loss counts 100 times less.
--
-- What to watch: the weights pane shows sigma per task (the label says
-- "sigma"): y1's sigma climbs to ~10, y2's settles at ~1 within a few
-- hundred steps (the s_i move at most lr = 0.025 per step: Adam).
-- metrics.csv's weight column holds w_i = 1/(2 sigma_i^2).
-- Run slowly to watch: mtlab experiments/41_kendall_uncertainty.lua --speed 200
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_weighting.c asserts it): at the end sigma_1 / sigma_2,
-- from the weight column as sqrt(w_2 / w_1), is between 6 and 16 (10
-- expected), and each sigma_i^2 is within a factor 1.5 of its task's
-- final training loss.
--
-- Run: mtlab experiments/41_kendall_uncertainty.lua
--      mtlab run experiments/41_kendall_uncertainty.lua
local mtl = require "mtl"

return mtl.experiment {
  name = "uncertainty weighting on Kendall's toy",
  description = [[
y1 = 2x + 8 + 10 e1 and y2 = 3x + 3 + e2: task 1 is ten times noisier.
Uncertainty weighting learns sigma_i = sqrt(loss_i): the weights pane should
show sigma_1 near 10 and sigma_2 near 1, so y1's loss is weighted by
1/(2 sigma^2) ~ 1/200 and y2's by ~1/2.]],
  data = mtl.data.kendall { train = 2000, val = 500, test = 500, seed = 1 },
  tasks = {
    mtl.task.regress { name = "y1", target = "y1" },
    mtl.task.regress { name = "y2", target = "y2" },
  },
  topology = mtl.share.hard { trunk = { 16 }, head = {} },
  weighting = mtl.weight.uncertainty { lr = 0.025 },
  optim = mtl.optim.adam { lr = 0.01 },
  train = { batch = 64, steps = 3000, eval_every = 100, seed = 1 },
  claim = {
    text = "at the end sigma_1 / sigma_2 (from the weights w_i = 1 / (2 sigma_i^2)) is between 6 and 16 (the noise "
      .. "ratio is 10), and each sigma_i^2 is within a factor 1.5 of its task's final training loss",
    check = function(r)
      local t = r[1].tasks
      local ratio = math.sqrt(t.y2.weight / t.y1.weight)
      local s1, s2 = 1 / (2 * t.y1.weight), 1 / (2 * t.y2.weight)
      local l1, l2 = t.y1.train_loss, t.y2.train_loss
      return ratio > 6 and ratio < 16 and s1 > l1 / 1.5 and s1 < 1.5 * l1 and s2 > l2 / 1.5 and s2 < 1.5 * l2,
        string.format("sigma_1 / sigma_2 = %.2f; sigma^2 %.4g and %.4g against training losses %.4g and %.4g", ratio,
                      s1, s2, l1, l2)
    end,
    seeds = { 1, 2, 3, 4, 5 }, draws = { 0, 1, 2 },
  },
}

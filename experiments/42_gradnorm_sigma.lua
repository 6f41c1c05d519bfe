-- 42_gradnorm_sigma.lua - GradNorm (Chen et al. 2018) on its sigma-scaled
-- synthetic regression: equal weighting against GradNorm.
--
-- Data (mtl.data.gradnorm): y_i = sigma_i tanh((B + eps_i) x), x in R^250,
-- 100 outputs per task, B shared and eps_i per task, so the tasks are
-- related but their losses differ in scale by sigma_i^2. Here sigma =
-- (1, 100): task "small" and task "large" (the paper's two-task case;
-- give more sigmas for T tasks, up to 64). alpha = 0.12 as in the paper's
-- toy.
--
-- Under equal weighting the large task's gradient (10^4 times the loss)
-- drives the shared trunk and the small task is left behind. GradNorm
-- learns weights w_i so that the gradient norms w_i |grad_W L_i| at the
-- last shared layer W move toward a common value (scaled by each task's
-- relative training rate), renormalising after every step so that the
-- weights always sum to T = 2.
--
-- What to watch: the weights pane - GradNorm's weight of "small" rises
-- toward 2 and "large" falls toward 0 within the first hundred steps;
-- equal stays at 1 and 1. 'c' compares the final losses of both runs.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_weighting.c asserts it): at every evaluation GradNorm's
-- weights sum to 2 (within 1e-3); at the end the weight of "small" is
-- above 1.5 and that of "large" below 0.5; and the small task's test loss
-- is below 0.7 times its test loss under equal weighting (it drops from
-- ~2.4 to ~1.3 in these runs), while the large task's rises by less
-- than 15% (about 8%).
--
-- Run: mtlab experiments/42_gradnorm_sigma.lua
--      mtlab run experiments/42_gradnorm_sigma.lua
local mtl = require "mtl"

local equal = mtl.experiment {
  name = "equal",
  description = "Equal weights: the task with sigma = 100 dominates the shared trunk.",
  data = mtl.data.gradnorm { sigmas = { 1, 100 }, train = 2000, val = 500, test = 500, seed = 1 },
  tasks = {
    mtl.task.regress { name = "small", target = "t1" },
    mtl.task.regress { name = "large", target = "t2" },
  },
  topology = mtl.share.hard { trunk = { 100, 100, 100 }, head = {} },
  weighting = mtl.weight.equal {},
  optim = mtl.optim.adam { lr = 1e-3 },
  train = { batch = 64, steps = 1000, eval_every = 50, seed = 1 },
}

return mtl.compare {
  equal,
  mtl.variant(equal, {
    name = "gradnorm",
    description = "GradNorm (alpha 0.12): balances the gradient norms at the last shared layer.",
    weighting = mtl.weight.gradnorm { alpha = 0.12 },
  }),
  claim = {
    text = "at the end GradNorm's weight of \"small\" is above 1.5 and that of \"large\" below 0.5; the small task's "
      .. "test loss is below 0.7 times its test loss under equal weighting, the large task's rises by less than 15%",
    check = function(r)
      local eq, gn = r[1].tasks, r[2].tasks
      local ok = gn.small.weight > 1.5 and gn.large.weight < 0.5 and gn.small.test_loss < 0.7 * eq.small.test_loss
        and gn.large.test_loss < 1.15 * eq.large.test_loss
      return ok, string.format("gradnorm's weights: small %.3f, large %.3f; test loss small %.4g (equal %.4g), "
                               .. "large %.4g (equal %.4g)", gn.small.weight, gn.large.weight, gn.small.test_loss,
                               eq.small.test_loss, gn.large.test_loss, eq.large.test_loss)
    end,
    seeds = { 1, 2, 3, 4, 5 }, draws = { 0, 1, 2 },
  },
}

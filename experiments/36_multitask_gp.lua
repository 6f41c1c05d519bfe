-- 36_multitask_gp.lua - the multi-task Gaussian process (intrinsic
-- coregionalisation, Bonilla, Chai & Williams 2008; survey section 5):
-- a task with 5 points borrows from a related task with 50.
--
-- Two one-dimensional tasks whose functions have correlation 0.95 over
-- the input range (mtl.data.gp_family): task A is seen at 5 noisy points,
-- task B at 50. The GP's covariance on (input, task) pairs is
-- k(x, x') B[s, t] with B = L L^T + diag(kappa) (rank 1); the kernel's
-- variance and length-scale, B and each task's noise and mean are learned
-- by maximising the exact log marginal likelihood with Adam (one step =
-- one Adam step on all 55 points). `baselines = true` fits a single-task
-- GP to each task alone with the same budget: that is delta_m's reference.
--
-- On the screen: the matrix pane opens on the posterior band (press f to
-- fill the screen): A's +-2 sd band starts wide, then narrows wherever B
-- has data as B is learned to be A's close relative; between A's own
-- points A's mean follows B's shape. `m` shows "task correlation" (B as a
-- correlation) rising toward 0.95. `mtlab run` writes band.svg.
--
-- The claim (the `claim` at the end of this script: `mtlab run` prints
-- its verdict, tests/test_e2e_nonneural.c asserts it): the multi-task
-- GP's test MSE on A is below the single-task GP's, as a geometric mean
-- over data draws below 0.5 (the mean log ratio multi-task / single-task
-- below log 0.5). Measured on 5 training seeds x 3 data draws (the seed
-- only moves L's start: A's test MSE changes by under 5%) and on 15 data
-- draws (--set data.seed=1..15): the geometric mean of the ratio was
-- 0.24, its 95% interval [0.13, 0.45], A better in 13 of 15 draws. Five
-- points can mislead: in 2 draws they happened to sit where A departs
-- from B and the multi-task GP was worse (ratios 1.8 and 1.4). `make
-- test` checks the shipped draw (one ratio: 0.015); `make test-claims`
-- the interval over the draws 0..14 the claim states.
--
-- Run: mtlab run experiments/36_multitask_gp.lua
--      mtlab experiments/36_multitask_gp.lua     (the workbench)
local mtl = require "mtl"

return mtl.experiment {
  name = "5 points of A, 50 of B",
  description = [[
Task A has 5 points, task B 50; their functions are correlated 0.95.
The multi-task GP learns B (the task covariance) and the kernel by the
marginal likelihood: A's band narrows where B has data. Press f on the
band to enlarge it; m for the task correlation.]],
  data = mtl.data.gp_family { tasks = 2, n = { 5, 50 }, correlation = 0.95, noise = 0.1, seed = 1 },
  tasks = {
    mtl.task.regress { name = "A", target = "t1" },
    mtl.task.regress { name = "B", target = "t2" },
  },
  topology = mtl.model.gp { kernel = "rbf", rank = 1 },
  optim = mtl.optim.adam { lr = 0.05 },
  train = { steps = 300, eval_every = 10, seed = 1, baselines = true },
  claim = {
    text = "the multi-task GP's test MSE on A is below the single-task GP's: the geometric mean over data draws "
      .. "of the ratio multi-task / single-task is below 0.5 (mean log ratio below log 0.5)",
    measure = function(r)
      local A = r[1].tasks.A
      return math.log(A.test_metric / A.single_task_metric),
        string.format("log(A's test MSE multi-task / single-task, %.3f)", A.test_metric / A.single_task_metric)
    end,
    below = math.log(0.5),
    draws = "0..14",
  },
}

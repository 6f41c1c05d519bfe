-- 6_weighting.lua - lesson on loss weighting (after the survey: Kendall
-- et al. 2018, uncertainty weighting) and on switching the weighting live.
-- The run is 41_kendall_uncertainty.lua's.
return {
  title = "Loss weighting: learned uncertainty",
  section = "weighting",
  summary = "Kendall et al.'s uncertainty weighting finds the noise of each task; switched live to equal and back",
  script = "../41_kendall_uncertainty.lua",
  steps = {
    { say = [[
After the survey, much MTL work asks how to weigh the tasks' losses. Kendall,
Gal and Cipolla (2018) learn a sigma per task and minimise
  sum_i L_i / (2 sigma_i^2) + log sigma_i:
at the optimum sigma_i^2 equals task i's loss, so a noisy task is trusted
less.

Two regression tasks: y1 is ten times noisier than y2 (noise sd 10 and 1),
so the best possible MSEs are about 100 and 1.]],
      pause = true, focus = "notes" },
    { say = "The first 400 steps; the weights pane shows each task's sigma.",
      run_to = 400, speed = 200, focus = "weights" },
    { say = "The losses near 100 and 1 are the noise: no model can go lower.",
      ask = "Where will sigma_1 and sigma_2 settle?",
      answer = [[
sigma_i = sqrt(L_i): about 10 and 1. The ratio is the noise ratio, 10, and
the weights 1/(2 sigma^2) make y1's loss count about 100 times less.]] },
    { say = [[
Now the weighting is switched live, as 'w' does, to equal weighting
(a mark on the time axis). Under equal weights y1's large loss dominates
the shared trunk's gradient.]],
      weighting = "equal", run_to = 800, focus = "loss" },
    { say = [[
Back to uncertainty weighting: the sigmas start again from 1 and find the
noise levels within a few hundred steps (watch the weights pane).]],
      weighting = "uncertainty", run_to = 1400, focus = "weights" },
  },
}

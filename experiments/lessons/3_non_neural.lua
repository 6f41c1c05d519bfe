-- 3_non_neural.lua - lesson for survey section 5: MTL before deep
-- learning, on mean-regularised multi-task learning (Evgeniou & Pontil
-- 2004). The runs are 31_mean_regularised.lua's.
return {
  title = "Non-neural MTL: mean-regularised tasks",
  section = "5",
  summary = "Linear tasks pulled towards their mean (Evgeniou & Pontil 2004) against independent ones (31_mean_regularised)",
  script = "../31_mean_regularised.lua",
  steps = {
    { say = [[
Section 5 recalls how MTL was done for linear models and kernels: the
tasks' weight vectors are assumed close to each other, to a few clusters,
or to share a sparse support, and a penalty says so.

Here many linear regression tasks whose true weights scatter around a
common mean are fitted twice: independently, and with the mean-regularised
penalty sum_t |w_t - mean(w)|^2 that pulls every task towards the mean.]],
      pause = true, focus = "notes" },
    { say = "The first 150 steps; the matrix pane shows the distances between the tasks' weights.",
      run_to = 150, speed = 100, matrix = "task distance", focus = "matrix" },
    { say = [[
"distance to mean": each task's distance to the mean task. Step through
the runs with '[' and ']': the regulariser keeps these small.]],
      experiment = 2, matrix = "distance to mean", enlarge = "matrix" },
    { say = "Each task has few examples for its number of weights.",
      ask = "Why would pulling every task towards the mean lower the test loss?",
      answer = [[
With few examples a task's own estimate is mostly noise; the mean is
estimated from all tasks' data at once. Shrinking towards it trades a
little bias for a large cut in variance - Stein's shrinkage, the
non-neural root of soft parameter sharing.]] },
  },
}

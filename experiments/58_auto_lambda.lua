-- 58_auto_lambda.lua - Auto-Lambda (Liu, James, Davison & Johns 2022):
-- loss weights learned so that the main task's VALIDATION loss falls
-- fastest after a training step - "which auxiliary task helps?" answered by
-- the weights themselves.
--
-- Data: 50_related_auxiliary.lua's - the main task "steer" (binary,
-- noisy, an interaction of two hidden factors), 500 training examples.
-- Five auxiliary tasks at once: the two related ones ("curvature",
-- "offset": the factors themselves), two unrelated ones ("other1",
-- "other2": two other directions of the input) and "noise", a target
-- drawn independently of the input.
--
-- weighting = mtl.weight.auto_lambda { lr = 1e-2 }: every task's weight
-- starts at 1. At each step the trainer takes a virtual SGD step with the
-- current weights, measures the gradient v of the primary (non-auxiliary)
-- tasks' loss on a validation batch there, and moves each weight by the
-- hypergradient -a grad L_i . v (by differences along v, as the authors
-- do): a task whose gradient points the way the main task's validation
-- loss falls gains weight. Auxiliary tasks (mtl.aux.*) are the ones left
-- out of the validation objective.
--
-- What to watch: the weight plot (each task's lambda over time) and the
-- "loss weights" matrix.
--
-- What the runs show (lambda after 1020 steps, lr 0.01 for the weights;
-- measured with data draws 58 and 59 (math.randomseed), training seeds
-- 1, 2 and 3, and the learning rate moved by 1e-6): the main task's own
-- weight grows (to 2.1 - 3.0); the mean weight of the two related tasks
-- ends above the mean of the two unrelated ones every time (1.6 to 2.7
-- against 0.1 to 1.2), and the noise task's weight falls below its start
-- (0.1 to 0.7). Single weights are noisy - one related task can end below
-- an unrelated one in a given run - because each step's hypergradient
-- comes from one validation batch of 30 examples and one training batch.
-- Auto-Lambda ranks the tasks by the sign of grad L_i . v summed over the
-- run, not by a test of their benefit. The claim (the `claim` at the end
-- of this script; `mtlab run` prints its verdict) is that ranking: steer's
-- weight above 1, the related pair's mean above the unrelated pair's, the
-- noise task's weight below 1.
--
-- Run: mtlab run experiments/58_auto_lambda.lua
--      mtlab experiments/58_auto_lambda.lua   (the workbench)
local mtl = require "mtl"

local steer = require "lib.steer" -- the data, shared with 50_related_auxiliary.lua

local data = steer.data(58, { noise = true })

return mtl.experiment {
  name = "steer + five aux, auto_lambda",
  description = [[
Main task: steer. Auxiliary tasks: the two factors steer depends on
(curvature, offset), two unrelated directions (other1, other2) and a
target of pure noise.
Auto-Lambda learns each task's weight from the main task's validation loss
after a virtual step; watch the weights.]],
  data = data,
  tasks = {
    mtl.task.binary { name = "steer" },
    mtl.aux.regress { name = "curvature" },
    mtl.aux.regress { name = "offset" },
    mtl.aux.regress { name = "other1" },
    mtl.aux.regress { name = "other2" },
    mtl.aux.regress { name = "noise" },
  },
  topology = mtl.share.hard { trunk = { 32 }, head = { 16 } },
  weighting = mtl.weight.auto_lambda { lr = 1e-2 },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 30, epochs = 60, eval_every = 50, seed = 1 },
  claim = {
    text = "Auto-Lambda's weights rank the tasks: the main task's own weight grows above 1, the mean weight of the two "
      .. "related tasks ends above the mean of the two unrelated ones, and the noise task's weight falls below its start",
    check = function(r)
      local t = r[1].tasks
      local rel = (t.curvature.weight + t.offset.weight) / 2
      local unrel = (t.other1.weight + t.other2.weight) / 2
      return t.steer.weight > 1 and rel > unrel and t.noise.weight < 1,
        string.format("weights: steer %.2f, related %.2f (mean), unrelated %.2f (mean), noise %.2f", t.steer.weight, rel,
                      unrel, t.noise.weight)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1 },
  },
}

-- 03_attention_focusing.lua - attention focusing (survey section 4.2).
--
-- Data: 50 inputs, of which 5 matter. Task "a" is the one we care about:
-- a weighted sum of |x_j| over the 5 relevant inputs, buried in noise
-- (sd 0.4) and labelled on one example in 32 (about 125 training labels
-- for 50 inputs). Alone, a network cannot tell the 5 relevant inputs from
-- the 45 others. Task "rel" reads the SAME 5 inputs (other weights) and is
-- labelled on every example with little noise: its gradients give the
-- shared trunk clear evidence of which inputs matter. Task "unrel" is as
-- easy as "rel" but reads 5 OTHER inputs: it focuses the trunk on the
-- wrong ones.
--
-- Two experiments on the same data and budget, with baselines = true
-- (each task alone):
--   * "a + rel": hard sharing of a with the related task;
--   * "a + unrel": the control.
--
-- What to watch on the screen: a's validation loss (dashed) in the two
-- experiments ('c' compares them). The validation split has only ~60
-- labels of a, so its curve is jumpy; the report's test MSE (~440 labels)
-- is the measurement.
--
-- The claim (declared at the end; `mtlab run` checks it on the shipped
-- seed, `mtlab run --claims-thorough` over training seeds 1-5 x data
-- draws 0-5, --draw): with "rel" a's test MSE is below 0.95 times a alone
-- on the geometric mean over the runs; in every run it is below 0.9 times
-- the run with "unrel", and "unrel" does not help (above 0.9 times alone).
-- Measured over seeds 1-3 x draws 0-5 (18 runs): a + rel / a alone 0.64,
-- 95% interval [0.54, 0.76] - the direction always holds, the size depends
-- on the draw (per draw about 0.32, 0.55, 0.62, 0.62, 0.79, 0.84: how much
-- a's and rel's weights on the 5 inputs agree); a + unrel / a alone 1.07
-- [1.04, 1.09] (0.99 to 1.19); a + rel / a + unrel 0.60 [0.50, 0.71], at
-- most 0.84. (rel itself stays close to rel alone; the claim is about a.)
--
-- Run: mtlab run experiments/03_attention_focusing.lua
--      mtlab experiments/03_attention_focusing.lua   (the workbench)
local mtl = require "mtl"

math.randomseed(mtl.data_seed(3))
local d = 50
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
-- the relevant inputs of a and rel, and the other five that unrel reads
local S, U = { 4, 13, 22, 31, 45 }, { 8, 17, 26, 38, 49 }
local wa, wr, wu = {}, {}, {}
for j = 1, 5 do
  wa[j] = gauss()
  wr[j] = gauss()
  wu[j] = wr[j]
end

local data = mtl.data.generate {
  n = 20000, train = 4000, val = 2000, test = 14000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local a, rel, unrel = 0, 0, 0
    for j = 1, 5 do
      a = a + wa[j] * math.abs(x[S[j]])
      rel = rel + wr[j] * math.abs(x[S[j]])
      unrel = unrel + wu[j] * math.abs(x[U[j]])
    end
    return x, {
      a = i % 32 == 0 and a + 0.4 * gauss(), -- scarce and noisy (false: no label)
      rel = rel + 0.2 * gauss(),
      unrel = unrel + 0.2 * gauss(),
    }
  end,
  types = { a = "regress", rel = "regress", unrel = "regress" },
}

local related = mtl.experiment {
  name = "a + rel",
  description = [[
Task a: 50 inputs, 5 relevant, few noisy labels. Task rel reads the same
5 inputs with many clean labels: its gradients tell the shared trunk which
inputs matter, so a can use them too. Compare a's test MSE with the
single-task column, then with the next experiment (a + unrel).]],
  data = data,
  tasks = { mtl.task.regress { name = "a" }, mtl.task.regress { name = "rel" } },
  topology = mtl.share.hard { trunk = { 32 }, head = { 16 } },
  optim = mtl.optim.adam { lr = 3e-3, weight_decay = 1e-3 },
  train = { batch = 32, epochs = 60, eval_every = 500, seed = 1, baselines = true },
}

local list = {
  related,
  mtl.variant(related, {
    name = "a + unrel",
    description = [[
The control: the helper task is as easy, but reads 5 OTHER inputs. Its
evidence points the trunk at the wrong features: a gains nothing.]],
    tasks = { mtl.task.regress { name = "a" }, mtl.task.regress { name = "unrel" } },
  }),
  claim = {
    text = "the related task cuts a's test MSE to below 0.95 of a alone on the geometric mean over "
      .. "seeds x draws (measured 0.64 [0.54, 0.76] over seeds 1-3 x draws 0-5; single runs 0.29 to "
      .. "0.91: the size depends on the draw)",
    measure = function(r)
      local rel = r["a + rel"].tasks.a
      return math.log(rel.test_metric / rel.single_task_metric), "log(a with rel / a alone)"
    end,
    below = math.log(0.95),
    seeds = "1..5", draws = { 0, 1, 2, 3, 4, 5 },
  },
}
-- In every run (the size of the gain is the list's claim, below):
related.claim = {
  text = "in every run a's test MSE with rel is below 0.9 times with unrel (measured at most 0.84), and "
    .. "the unrelated task does not help (above 0.9 times alone; measured 0.99 to 1.19)",
  check = function(r)
    local rel, unrel = r["a + rel"].tasks.a, r["a + unrel"].tasks.a
    local alone = rel.single_task_metric
    local q, u = rel.test_metric / alone, unrel.test_metric / alone
    return q < 0.9 * u and u > 0.9,
      string.format("a's test MSE / alone: with rel %.3f, with unrel %.3f (> 0.9); rel / unrel %.3f (< 0.9)", q, u, q / u)
  end,
  seeds = "1..5", draws = { 0, 1, 2, 3, 4, 5 },
}
return list

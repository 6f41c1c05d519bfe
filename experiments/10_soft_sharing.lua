-- 10_soft_sharing.lua - soft parameter sharing (survey section 3.2): one
-- network column per task, with a penalty that pulls corresponding layers
-- together, against the same columns trained independently.
--
-- Three regression tasks whose true weight vectors are close (the tasks
-- are related), 120 training examples for 16 inputs: each column alone
-- overfits. Three experiments on the same data and split:
--   * "independent columns": soft sharing with l2 = 0 (no pull at all);
--   * "soft L2": the squared L2 distance between corresponding layers,
--     summed over pairs of tasks (Duong et al. 2015), strength 0.05;
--   * "soft trace": the trace norm of each layer's stacked (T, in*out)
--     weights (Yang & Hospedales 2017), strength 0.1.
--
-- What to watch on the screen ('m' cycles the matrices, '[' ']' the
-- experiments, 'c' compares them):
--   * "soft distance L1"/"L2": the Frobenius distance between the columns'
--     weights; it grows freely without a pull and collapses with L2;
--   * "soft spectrum L1"/"L2": the stacked weights' singular values as
--     shares of their sum; the trace norm pushes the first one up (the
--     tasks' weights become nearly collinear: a low-rank stack);
--   * the validation losses: both pulls generalise far better.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_columns.c asserts it): both penalties reach a
-- mean test loss below 0.7 x that of the independent columns; the L2 pull
-- leaves layer-1 distances below 0.2 x the independent ones; the trace
-- norm raises the top singular share of layer 1 by more than 0.15.
--
-- Run: mtlab experiments/10_soft_sharing.lua
--      mtlab run experiments/10_soft_sharing.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(11))
local d = 16
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
-- three task weight vectors scattered around a common one
local base, w = {}, {}
for k = 1, d do base[k] = gauss() / math.sqrt(d) end
for t = 1, 3 do
  w[t] = {}
  for k = 1, d do w[t][k] = base[k] + 0.15 * gauss() / math.sqrt(d) end
end
local function dot(v, x)
  local s = 0
  for k = 1, d do s = s + v[k] * x[k] end
  return s
end

local data = mtl.data.generate {
  n = 1420, train = 120, val = 300, test = 1000,
  fn = function(i)
    local x, y = {}, {}
    for k = 1, d do x[k] = gauss() end
    for t = 1, 3 do
      local a = dot(w[t], x)
      y["y" .. t] = math.tanh(2 * a) + 0.5 * a + 0.1 * gauss()
    end
    return x, y
  end,
  types = { y1 = "regress", y2 = "regress", y3 = "regress" },
}

local independent = mtl.experiment {
  name = "independent columns",
  description = [[
One column per task and no pull (l2 = 0): three separate networks. With 120
examples each column overfits its task. Compare with the two soft-sharing
variants ('[' and ']' switch experiments, 'c' compares).]],
  data = data,
  tasks = {
    mtl.task.regress { name = "y1" },
    mtl.task.regress { name = "y2" },
    mtl.task.regress { name = "y3" },
  },
  topology = mtl.share.soft { trunk = { 32, 16 }, l2 = 0 },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 30, epochs = 150, seed = 1 },
}

return {
  independent,
  mtl.variant(independent, {
    name = "soft L2",
    description = [[
Soft sharing with the squared L2 distance between corresponding layers,
summed over pairs of tasks (Duong et al. 2015). Watch "soft distance L1"
shrink.]],
    topology = mtl.share.soft { trunk = { 32, 16 }, l2 = 0.05, distance = "pairs" },
  }),
  mtl.variant(independent, {
    name = "soft trace",
    description = [[
Soft sharing with the trace norm of the stacked weights (Yang & Hospedales
2017). Watch "soft spectrum L1": the first singular value takes most of the
mass.]],
    topology = mtl.share.soft { trunk = { 32, 16 }, l2 = 0, trace = 0.1 },
  }),
  claim = {
    text = "both penalties reach a mean test loss below 0.7 of independent columns; the L2 pull brings the "
      .. "layer-1 weights together (distance below 0.2 of independent), the trace norm concentrates their "
      .. "spectrum (top singular share 0.15 above independent)",
    check = function(r)
      local function loss(name) return mtl.stats.mean(mtl.stats.task_values(r[name], "test_loss")) end
      local function offdiag(m)
        local s = 0
        for i = 1, 3 do for j = 1, 3 do if i ~= j then s = s + m[i][j] end end end
        return s / 6
      end
      local ind, l2, tr = loss("independent columns"), loss("soft L2"), loss("soft trace")
      local di = offdiag(r["independent columns"].matrices["soft distance L1"].last)
      local dl = offdiag(r["soft L2"].matrices["soft distance L1"].last)
      local si = r["independent columns"].matrices["soft spectrum L1"].last[1][1]
      local st = r["soft trace"].matrices["soft spectrum L1"].last[1][1]
      return l2 < 0.7 * ind and tr < 0.7 * ind and dl < 0.2 * di and st > si + 0.15,
        string.format("test loss: independent %.4f, L2 %.4f, trace %.4f; layer-1 distance %.3f -> %.3f (L2); "
                      .. "top singular share %.3f -> %.3f (trace)", ind, l2, tr, di, dl, si, st)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

-- 15_tensor_factorisation.lua - deep multi-task representation learning by
-- tensor factorisation (Yang & Hospedales 2017; survey section 6.7): the
-- per-task weight matrices of each layer are stacked into a tensor W (in,
-- out, T) and written as a product of factors: shared ones (learned from
-- every task) and a task-specific one (a row per task).
--
-- The same related-task problem as 10_soft_sharing.lua (three regression
-- tasks around a common weight vector, 120 training examples). Three
-- experiments:
--   * "tucker": W = core x1 U1 x2 U2 x3 U3, ranks (4, 4, 2);
--   * "tensor train": W[i, o, t] = G1[i, :] G2[:, o, :] G3[:, t], ranks
--     (4, 2);
--   * "independent columns": three full networks, no sharing.
--
-- What to watch: `mtlab check` or the topology pane (factor shapes, what
-- is shared), the parameter counts in the report, the validation losses.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_columns.c asserts it): both factorisations use
-- under 0.3 x the parameters of the independent columns and reach a mean
-- test loss below 0.5 x theirs.
--
-- Run: mtlab experiments/15_tensor_factorisation.lua
--      mtlab run experiments/15_tensor_factorisation.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(11))
local d = 16
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
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

local tucker = mtl.experiment {
  name = "tucker",
  description = [[
Each layer's task weights are a Tucker product: a shared core and input and
output factors, and one row of the task factor per task. Compare the
parameter counts and losses with the tensor train and independent columns.]],
  data = data,
  tasks = {
    mtl.task.regress { name = "y1" },
    mtl.task.regress { name = "y2" },
    mtl.task.regress { name = "y3" },
  },
  topology = mtl.share.tensor { trunk = { 32, 16 }, method = "tucker", rank = { 4, 4, 2 } },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 30, epochs = 150, seed = 1 },
}

return {
  tucker,
  mtl.variant(tucker, {
    name = "tensor train",
    topology = mtl.share.tensor { trunk = { 32, 16 }, method = "tt", rank = { 4, 2 } },
  }),
  mtl.variant(tucker, {
    name = "independent columns",
    topology = mtl.share.soft { trunk = { 32, 16 }, l2 = 0 },
  }),
  claim = {
    text = "both factorisations use under 0.3 of the independent columns' parameters and reach under 0.5 of "
      .. "their mean test loss",
    check = function(r)
      local function loss(name) return mtl.stats.mean(mtl.stats.task_values(r[name], "test_loss")) end
      local tk, tt, ind = loss("tucker"), loss("tensor train"), loss("independent columns")
      local ptk, ptt, pind = r["tucker"].params.total, r["tensor train"].params.total,
        r["independent columns"].params.total
      return ptk < 0.3 * pind and ptt < 0.3 * pind and tk < 0.5 * ind and tt < 0.5 * ind,
        string.format("test loss: tucker %.4f (%d params), tensor train %.4f (%d), independent %.4f (%d)", tk, ptk,
                      tt, ptt, ind, pind)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

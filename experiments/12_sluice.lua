-- 12_sluice.lua - sluice networks (Ruder et al. 2017; survey section 6.8):
-- one column per task, every layer split into subspaces; after each layer
-- a learned alpha mixes all subspaces of all tasks, each task's head reads
-- a learned beta mix of all layers, and an orthogonality penalty keeps the
-- two subspaces of a column apart.
--
-- Three related regression tasks (weights scattered around a common
-- vector) with 120 training examples. alpha starts at 0.3 on its diagonal
-- and 0.14 elsewhere, so the columns begin by sharing (a hard-sharing-like
-- start); sluice then learns how much to keep apart. Three experiments:
--   * "sluice": subspaces = 2, ortho = 0.1;
--   * "sluice without ortho": the same with ortho = 0;
--   * "independent columns": soft sharing with no pull, the no-sharing
--     reference.
--
-- What to watch on the screen ('m' cycles the matrices):
--   * "sluice alpha L1"/"L2" (6 x 6: task/subspace pairs): the blocks off
--     the diagonal are what the tasks take from each other;
--   * "sluice beta" (task x layer): how much each head reads each layer
--     (hierarchical sharing: a skip to the lower layer when it helps);
--   * "sluice subspace overlap" (task x layer, 0 = orthogonal subspaces):
--     near 0 with the penalty, clearly above it without.
--
-- The claim: sluice's mean test loss is below 0.95 x that of the
-- independent columns on the geometric mean of the per-run ratios
-- (declared at the end; --claims-thorough checks seeds 1-5 x draws 0-2);
-- with the penalty the mean subspace overlap is under 0.25 x the overlap
-- without it; the mean cross-task |alpha| in layer 2 ends above 1.2 x its
-- start (0.14) (tests/test_e2e_columns.c). Measured over training seeds
-- 1-5 x data draws 11-15 (math.randomseed), 25 runs: sluice / independent
-- 0.73, 95% interval [0.68, 0.79] (single runs 0.49 to 1.12). The
-- orthogonality penalty does what it says to the subspaces, but costs
-- accuracy here: without it the ratio is 0.67 [0.63, 0.72], and sluice
-- with the penalty is 1.09 [1.04, 1.15] times sluice without.
--
-- Run: mtlab experiments/12_sluice.lua
--      mtlab run experiments/12_sluice.lua
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

local sluice = mtl.experiment {
  name = "sluice",
  description = [[
A sluice network: columns split into 2 subspaces, alpha mixing across tasks
and subspaces after each layer, beta mixing layers per task, orthogonal
subspaces. Compare with the run without the penalty and with independent
columns: sluice beats the independent columns; the penalty separates the
subspaces but costs a little accuracy here.]],
  data = data,
  tasks = {
    mtl.task.regress { name = "y1" },
    mtl.task.regress { name = "y2" },
    mtl.task.regress { name = "y3" },
  },
  topology = mtl.share.sluice { trunk = { 16, 16 }, subspaces = 2, ortho = 0.1, init = 0.3 },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 30, epochs = 150, seed = 1 },
}

local function loss(run)  -- the mean test loss over the tasks
  local s, n = 0, 0
  for _, t in pairs(run.tasks) do s, n = s + t.test_loss, n + 1 end
  return s / n
end
local list = {
  sluice,
  mtl.variant(sluice, {
    name = "sluice without ortho",
    topology = mtl.share.sluice { trunk = { 16, 16 }, subspaces = 2, ortho = 0, init = 0.3 },
  }),
  mtl.variant(sluice, {
    name = "independent columns",
    topology = mtl.share.soft { trunk = { 16, 16 }, l2 = 0 },
  }),
  claim = {
    text = "sluice's mean test loss is below 0.95 times the independent columns': the geometric mean "
      .. "of the per-run ratios over seeds x draws (measured 0.73 [0.68, 0.79] over seeds 1-5 x 5 "
      .. "draws; single runs 0.49 to 1.12). Without the orthogonality penalty it is lower still "
      .. "(0.67 [0.63, 0.72]): the penalty costs accuracy here (1.09 [1.04, 1.15] times)",
    measure = function(r)
      return math.log(loss(r.sluice) / loss(r["independent columns"])), "log(sluice / independent)"
    end,
    below = math.log(0.95),
    seeds = "1..5", draws = { 0, 1, 2 },
  },
}
-- In every run: the orthogonality penalty cuts the subspace overlap, and
-- layer 2 mixes across tasks (the loss is the list's claim, below).
sluice.claim = {
  text = "the orthogonality penalty cuts the subspace overlap below 0.25 of sluice without it; layer 2 mixes "
    .. "across tasks (mean cross-task |alpha| above 1.2 times its start); beta stays finite",
  check = function(r)
    local function mean_all(m)
      local v = {}
      for _, row in ipairs(m) do for _, x in ipairs(row) do v[#v + 1] = x end end
      return mtl.stats.mean(v)
    end
    local o1 = mean_all(r["sluice"].matrices["sluice subspace overlap"].last)
    local o0 = mean_all(r["sluice without ortho"].matrices["sluice subspace overlap"].last)
    local A, cross = r["sluice"].matrices["sluice alpha L2"].last, 0
    for i = 1, 6 do
      for j = 1, 6 do
        if (i - 1) // 2 ~= (j - 1) // 2 then cross = cross + math.abs(A[i][j]) / 24 end
      end
    end
    local beta_ok = true
    for _, row in ipairs(r["sluice"].matrices["sluice beta"].last) do
      for _, x in ipairs(row) do beta_ok = beta_ok and x == x and math.abs(x) < math.huge end
    end
    return o0 > 0 and o1 < 0.25 * o0 and cross > 1.2 * 0.7 / 5 and beta_ok,
      string.format("subspace overlap %.4f with ortho, %.4f without; cross-task |alpha| %.3f (start %.3f)",
                    o1, o0, cross, 0.7 / 5)
  end,
  seeds = "1..5", draws = { 0, 1, 2 },
}
return list

-- 02_implicit_data_augmentation.lua - implicit data augmentation (survey
-- section 4.1): tasks with different noise patterns, learned together,
-- average their noise out of the shared representation.
--
-- Data: 10 inputs, two hidden "true" features z_j = tanh(1.5 u_j'x), and
-- four regression tasks, each a different mix of z plus ITS OWN noise
-- (Gaussian, uniform, Laplace, heavy-tailed; all of standard deviation
-- 1). Only 100 training examples. Alone, each small network has to find
-- z from 100 noisy labels and fits some of the noise; the shared trunk
-- sees 4 x 100 labels of the same z whose noises are independent, so they
-- average out (Ruder: "learning A and B jointly enables the model to
-- obtain a better representation F through averaging the noise patterns").
--
-- The control, "same noise": the same tasks and the same four noise
-- distributions, but every label of an example is driven by the SAME
-- draw (one standard normal g through each task's noise shape, so the
-- four errors move together): there is little to average.
-- Sharing still helps a little (the four mixes point the trunk at both
-- features), but less. Each condition runs with training seeds 1, 2, 3;
-- baselines = true trains each task alone with the same budget.
--
-- What to watch on the screen: the loss plot - the training losses (solid)
-- fall under the noise floor (1) as the model starts to fit noise,
-- further with the same noise than with independent noise; 'c' compares
-- the six runs' validation losses (of t1 and t2; '[' ']' step through the
-- runs). The single-task baselines and delta_m come from `mtlab run`
-- (headless): the workbench does not train baselines. Its report has a
-- "single-task" column and delta_m, the mean relative reduction of the
-- test MSE.
--
-- The claim (declared at the end; `mtlab run` checks it on the shipped
-- seeds, `mtlab run --claims-thorough` over training seeds 1-15 x data
-- draws 0-2, --draw): independent noise gains more from sharing than the
-- same noise - the per-seed paired difference of delta_m (independent -
-- same) has a mean above 0 (every run of three seeds cleared it). Both gain from sharing (the four
-- mixes point the trunk at both features), so the paired difference is
-- the measurement. Measured over seeds 1-9 x draws 0-2 (27 pairs): +13.7
-- points, 95% interval [+10.7, +16.7] (independent +25.0%, same noise
-- +11.3% on average); --claims-thorough (seeds 1-15 x draws 0-2, 45
-- pairs): +13.0 [+10.3, +15.8]. Single seeds range from -10.6 to +37.4 and
-- a run's three-seed mean from +2.3: one run can fall short, the
-- distribution does not. The setting was
-- strengthened for this: with noise sd 0.5, and a control that used one
-- Gaussian draw for every task (changing the noise's distribution as well
-- as its sharing), the gap was +3.3 [+0.4, +6.2] over 15 runs and
-- reversed on some draws. The test labels are noisy too, which puts a
-- floor of 1 under every MSE and shrinks the relative gains.
--
-- Run: mtlab run experiments/02_implicit_data_augmentation.lua
--      mtlab experiments/02_implicit_data_augmentation.lua   (the workbench)
local mtl = require "mtl"

math.randomseed(mtl.data_seed(2))
local d = 10
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local function dir()
  local v = {}
  for k = 1, d do v[k] = gauss() / math.sqrt(d) end
  return v
end
local u1, u2 = dir(), dir()
local function dot(v, x)
  local s = 0
  for k = 1, d do s = s + v[k] * x[k] end
  return s
end

-- Four noise patterns of the same standard deviation sd, each a monotone
-- function of one standard normal draw g: Gaussian, uniform, Laplace and
-- heavy-tailed (g^3: mostly small, now and then large). With independent
-- noise each task gets its own g; the control passes ONE g through all four
-- shapes, so every task keeps its noise distribution and only the sharing
-- of the draw changes.
local sd = 1.0
local function Phi(z) -- the standard normal CDF (Abramowitz & Stegun 7.1.26, error < 1.5e-7)
  local x = math.abs(z) / math.sqrt(2)
  local t = 1 / (1 + 0.3275911 * x)
  local erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
    + t * (-1.453152027 + t * 1.061405429)))) * math.exp(-x * x)
  return z >= 0 and 0.5 * (1 + erf) or 0.5 * (1 - erf)
end
local noise = {
  function(g) return sd * g end,                                       -- Gaussian
  function(g) return sd * math.sqrt(12) * (Phi(g) - 0.5) end,           -- uniform
  function(g)                                                          -- Laplace
    local u, b = Phi(g), sd / math.sqrt(2)
    if u < 0.5 then return b * math.log(2 * u) end
    return -b * math.log(2 * (1 - u))
  end,
  function(g) return sd * g * g * g / math.sqrt(15) end,                -- heavy-tailed
}
-- Each task mixes the two true features differently.
local mix = { { 1.0, 0.5 }, { 0.5, 1.0 }, { 1.0, -0.5 }, { -0.5, 1.0 } }

local data = mtl.data.generate {
  n = 2100, train = 100, val = 1000, test = 1000,
  fn = function(i)
    local x = {}
    for k = 1, d do x[k] = gauss() end
    local z1, z2 = math.tanh(1.5 * dot(u1, x)), math.tanh(1.5 * dot(u2, x))
    local y, common = {}, gauss()
    for t = 1, 4 do
      local f = 2 * (mix[t][1] * z1 + mix[t][2] * z2)
      y["t" .. t] = f + noise[t](gauss()) -- independent noise
      y["s" .. t] = f + noise[t](common)  -- the same draw, each task's own shape
    end
    return x, y
  end,
}

-- The same task names in both conditions (so 'c' lines them up); the
-- control reads the "s" targets.
local function tasks(prefix)
  local list = {}
  for t = 1, 4 do list[t] = mtl.task.regress { name = "t" .. t, target = prefix .. t } end
  return list
end

-- Each condition with three training seeds: the claim is about the means.
local runs = {}
for _, seed in ipairs(mtl.seeds(3)) do
  local independent = mtl.experiment {
    name = "independent noise s" .. seed,
    description = [[
Four regression tasks read the same two hidden features of 10 inputs;
each adds its own kind of noise (Gaussian, uniform, Laplace, heavy-tailed).
100 training examples.

The shared trunk sees four independent noisy views of the same features,
so their noise averages out; a single-task network fits its own noise.
Headless, `mtlab run` adds single-task baselines: delta_m is large and
positive. Here, compare the validation losses with the control (']').]],
    data = data,
    tasks = tasks("t"),
    topology = mtl.share.hard { trunk = { 16 } },
    optim = mtl.optim.adam { lr = 3e-3, weight_decay = 1e-3 },
    train = { batch = 20, epochs = 300, eval_every = 50, seed = seed, baselines = true },
  }
  runs[#runs + 1] = independent
  runs[#runs + 1] = mtl.variant(independent, {
    name = "same noise s" .. seed,
    description = [[
The control: the same four tasks and noise distributions, but every label
of an example is driven by the SAME draw, through each task's own noise
shape. The four errors move together, so there is little to average:
what is left of the gain over the single-task models comes from the
tasks pointing the trunk at both hidden features. It is smaller than
with independent noise, by about 13 points on average ('c' compares).]],
    tasks = tasks("s"),
  })
end
local list = mtl.compare(runs)
list.claim = {
  text = "independent noise gains more from sharing than the same noise: the paired difference of "
    .. "delta_m (independent - same, per seed) has a mean over seeds x draws above 0 "
    .. "(measured +13.7 [+10.7, +16.7] over seeds 1-9 x draws 0-2)",
  measure = function(r)
    local v = {}
    for _, seed in ipairs(mtl.seeds(3)) do
      v[#v + 1] = r["independent noise s" .. seed].delta_m_percent - r["same noise s" .. seed].delta_m_percent
    end
    return v, "delta_m independent - same (points) per seed"
  end,
  above = 0,
  seeds = { 1, 4, 7, 10, 13 }, draws = { 0, 1, 2 },
}
return list

-- 23_deep_relationship.lua - deep relationship networks (Long & Wang 2017;
-- survey section 6.1): a matrix-variate normal prior with a learned task
-- covariance on the task-specific layer.
--
-- Data: eight regression tasks in two hidden clusters (mtl.data.related):
-- tasks of a cluster share a weight vector up to a deviation, the two
-- clusters' vectors are orthogonal; each example belongs to one task (50
-- each: few enough that pooling related tasks pays). config.json's data.clusters holds the truth.
--
-- Two networks with the same 16-unit shared layer and a linear output per
-- task:
--   hard  hard parameter sharing;
--   drn   the same plus, on the output layer, the penalty
--           lambda/2 tr(W Omega^-1 W^T)     (W: the tasks' weights, 16 x 8)
--         with Omega, the task covariance, set every 20 steps to
--         (W'W)^1/2 / tr((W'W)^1/2); lambda = 0.2.
--
-- What to watch on the screen: "task correlation" (Omega normalised to a
-- unit diagonal) grows two bright blocks - the clusters - from the
-- identity it starts at; "task covariance" is Omega itself. The test loss
-- of drn ends below hard sharing's: the prior lets related tasks pool
-- their few examples.
--
-- The claim (declared at the end; `mtlab run` checks it on the shipped
-- seed, `mtlab run --claims-thorough` over training seeds 1-5 x data
-- draws 0-4, --draw): in the last published task correlation, the mean
-- over pairs within the true clusters exceeds the mean across them by more
-- than 0.4 in every run, and drn's mean test loss is below 0.85 times hard
-- sharing's on the geometric mean of the per-run ratios. Measured over
-- seeds 1-3 x draws 0-5 (18 runs): within - across 0.73 [0.69, 0.76]
-- (0.61 to 0.89); drn / hard 0.60, 95% interval [0.56, 0.63], every run
-- below 0.73. The setting was strengthened for this: with 100 examples
-- per task and 60 epochs the ratio was 0.90 [0.82, 0.98] and above 1 on
-- two draws in six (the prior matters less when every task has enough
-- data); 50 per task and 120 epochs (the same number of steps) make the
-- pooling pay on every draw.
--
-- Run: mtlab run experiments/23_deep_relationship.lua
--      mtlab experiments/23_deep_relationship.lua     (the workbench)
local mtl = require "mtl"

local T = 8
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local hard = mtl.experiment {
  name = "hard",
  description = "Eight tasks in two hidden clusters on one shared layer.",
  data = mtl.data.related { tasks = T, clusters = 2, d = 20, support = 10, within = 0.3,
                            n_each = 50, noise = 0.3, seed = 5 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = { 16 }, head = {} },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 120, seed = 1 },
}

local function loss(run)  -- the mean test loss over the tasks
  local s, n = 0, 0
  for _, t in pairs(run.tasks) do s, n = s + t.test_loss, n + 1 end
  return s / n
end
return mtl.compare {
  hard,
  mtl.variant(hard, {
    name = "drn",
    description = "The same with a task-covariance prior on the output layer.",
    topology = mtl.share.drn { trunk = { 16 }, head = {}, lambda = 0.2, update_every = 20 } }),
  claim = {
    text = "drn's mean test loss is below 0.85 times hard sharing's on the geometric mean of the "
      .. "per-run ratios over seeds x draws (measured 0.60 [0.56, 0.63] over seeds 1-3 x draws 0-5, "
      .. "every run below 0.73); in every run the learned task correlation finds the clusters: its "
      .. "mean within the true clusters exceeds the mean across them by more than 0.4 (measured 0.61 "
      .. "to 0.89)",
    check = function(r)
      local cl, m = r.drn.config.data.clusters, r.drn.matrices["task correlation"].last
      local win, nw, acr, na = 0, 0, 0, 0
      for i = 1, #cl do
        for j = i + 1, #cl do
          if cl[i] == cl[j] then win, nw = win + m[i][j], nw + 1 else acr, na = acr + m[i][j], na + 1 end
        end
      end
      win, acr = win / nw, acr / na
      return win - acr > 0.4,
        string.format("task correlation within clusters %.3f, across %.3f (difference > 0.4)", win, acr)
    end,
    measure = function(r) return math.log(loss(r.drn) / loss(r.hard)), "log(drn / hard)" end,
    below = math.log(0.85),
    seeds = "1..5", draws = { 0, 1, 2, 3, 4 },
  },
}

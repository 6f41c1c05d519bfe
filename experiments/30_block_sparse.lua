-- 30_block_sparse.lua - block-sparse regularisation: tasks that share a
-- sparse support select it together (survey section 5.1).
--
-- Six linear regression tasks read 30 input features, of which only 6 (the
-- same 6 for every task: mtl.data.related's shared support) matter. Each
-- task has its own linear model on the raw input (hard sharing with an
-- empty trunk and empty heads: "head.<task>.out"), and the regulariser acts
-- on the (features x tasks) matrix of those weights, row j = feature j:
--
--   l1/l2    lambda sum_j ||row_j||_2     group lasso (Argyriou et al. 2008)
--   l1/linf  lambda sum_j ||row_j||_inf   Liu, Palatucci & Zhang 2009
--   dirty    W = S + B, l1 on S and l1/linf on B (Jalali et al. 2010)
--
-- The penalties are applied as proximal steps after each optimiser step, so
-- a feature row is set to EXACTLY zero for every task at once. Training is
-- full-batch gradient descent (batch larger than the 60 training examples):
-- with SGD the proximal step is ISTA, which converges to the regularised
-- solution; with small mini-batches the gradient noise keeps kicking rows
-- off zero.
--
-- On the screen: the heatmap "feature use" (tasks x features, ||W_t[:, j]||)
-- shows the 24 irrelevant columns going blank; "active features" counts the
-- features each task still uses; for the dirty model "dirty B/S features"
-- splits them into the shared block part B (row 1) and the task-specific
-- entries S (row 2). The unregularised variant keeps all 30.
--
-- The claims (at the end of this script: `mtlab run` prints their
-- verdicts, tests/test_e2e_regs.c asserts them; `mtlab run
-- --claims-thorough` checks the data draws they state - a convex fit:
-- training seeds change nothing): l1/l2, l1/linf and the dirty model keep
-- exactly the features of the true support (precision and recall of the
-- support read from the published "feature use" are at least 0.8), and
-- the unregularised model keeps all 30 features. Selecting the support is
-- not predicting better: over data seeds 3, 101-109, l1/l2 at lambda = 0.5
-- has 0.97 times the unregularised model's test loss on the geometric
-- mean, 95% interval [0.81, 1.17] (0.69 to 1.42) - the penalty that zeroes
-- the 24 rows also shrinks the 6 kept ones; l1/linf (2.3 times) and the
-- dirty model (1.7 times) predict worse. A five times weaker l1/l2 (lambda
-- = 0.1, the fifth run) keeps too many features (precision about 0.2) but
-- predicts better on every draw: 0.62 [0.58, 0.67] over draws 0-9, at
-- most 0.70 (second claim). Selection and prediction want different
-- lambdas; to get both, select with the strong one and refit on the
-- selected features.
--
-- Run: mtlab run experiments/30_block_sparse.lua
--      mtlab experiments/30_block_sparse.lua     (the workbench)
local mtl = require "mtl"

local function test_loss(run) return mtl.stats.mean(mtl.stats.task_values(run, "test_loss")) end

local T = 6
local tasks = {}
for i = 1, T do tasks[i] = mtl.task.regress { name = "task" .. i } end

local base = mtl.experiment {
  name = "l1/l2 (group lasso)",
  description = [[
Six linear tasks on 30 features; only 6 matter, the same for all tasks.
Proximal steps zero whole feature rows: watch "feature use" and
"active features".]],
  -- every example labelled for every task (shared), 100 examples of which
  -- 60 train
  data = mtl.data.related { tasks = T, clusters = 2, d = 30, support = 6, within = 0.3,
                            n_each = 100, noise = 0.3, shared = true, seed = 3 },
  tasks = tasks,
  topology = mtl.share.hard { trunk = {}, head = {} },
  regularizers = { mtl.reg.block_sparse { norm = "l1/l2", lambda = 0.5 } },
  optim = mtl.optim.sgd { lr = 0.05 },
  train = { batch = 256, epochs = 400, eval_every = 50, seed = 1 },
}

local list = mtl.compare {
  base,
  mtl.variant(base, { name = "l1/linf",
    regularizers = { mtl.reg.block_sparse { norm = "l1/linf", lambda = 1.5 } } }),
  mtl.variant(base, { name = "dirty (S + B)",
    regularizers = { mtl.reg.block_sparse { norm = "dirty", lambda_s = 0.5, lambda_b = 1.5 } } }),
  -- lambda = 0: the same prox machinery doing nothing, so the same
  -- matrices are published for comparison
  mtl.variant(base, { name = "unregularised",
    regularizers = { mtl.reg.block_sparse { lambda = 0 } } }),
  -- the same penalty, weaker: tuned for prediction, not for selection
  mtl.variant(base, { name = "l1/l2, lambda = 0.1",
    description = [[
The group lasso with a five times smaller lambda: it keeps more features
than the true 6 (it no longer selects the support), but shrinks the
weights less, and predicts better than both l1/l2 at 0.5 and no penalty.]],
    regularizers = { mtl.reg.block_sparse { norm = "l1/l2", lambda = 0.1 } } }),
  claim = {
    text = "l1/l2, l1/linf and the dirty model each keep the true shared support (precision and recall of the "
      .. "features any task uses at least 0.8, 1 to 7 active features per task); unregularised keeps all 30 "
      .. "(prediction is not claimed: l1/l2's test loss is 0.97 [0.81, 1.17] times unregularised's over 10 "
      .. "data draws)",
    check = function(r)
      local support = {}
      for _, j in ipairs(r[1].config.data.support) do support[j + 1] = true end -- 0-based feature indices
      local notes, ok = {}, true
      for v = 1, 4 do
        local use, act = r[v].matrices["feature use"].last, r[v].matrices["active features"].last[1]
        local kept, hit = 0, 0
        for j = 1, #use[1] do
          local used = false
          for t = 1, #use do used = used or use[t][j] > 0 end
          if used then
            kept = kept + 1
            if support[j] then hit = hit + 1 end
          end
        end
        local nsup = #r[1].config.data.support
        if v <= 3 then
          local precision, recall = kept > 0 and hit / kept or 0, hit / nsup
          ok = ok and precision >= 0.8 and recall >= 0.8
          for _, a in ipairs(act) do ok = ok and a >= 1 and a <= 7 end
          notes[#notes + 1] = string.format("%s precision %.2f recall %.2f", r[v].name, precision, recall)
        else
          ok = ok and kept == #use[1]
          for _, a in ipairs(act) do ok = ok and a == #use[1] end
        end
      end
      for _, b in ipairs(r[3].matrices["dirty B/S features"].last[1]) do ok = ok and b >= 1 and b <= 30 end
      local l1l2, none = test_loss(r[1]), test_loss(r[4])
      notes[#notes + 1] = string.format("test loss l1/l2 %.4f vs unregularised %.4f", l1l2, none)
      return ok, table.concat(notes, "; ")
    end,
    seeds = { 1 }, draws = { 0, 1, 2, 3, 4 },
  },
}
-- Prediction, on the weaker penalty (the claim above is about selection).
list[5].claim = {
  text = "with lambda = 0.1 the group lasso predicts better than no penalty: the geometric mean over "
    .. "data draws of the test loss ratio is below 0.8 (measured 0.62 [0.58, 0.67] over draws 0-9, every "
    .. "draw below 0.70; at lambda = 0.5, which selects the support, 0.97 [0.81, 1.17])",
  measure = function(r)
    return math.log(test_loss(r["l1/l2, lambda = 0.1"]) / test_loss(r["unregularised"])),
      "log(l1/l2 at 0.1 / unregularised)"
  end,
  below = math.log(0.8),
  seeds = { 1 }, draws = "0..9",
}
return list

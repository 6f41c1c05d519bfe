-- bench_screen.lua - the small bench model for the screen-cost benchmark
-- (scripts/run-bench.sh, "bench screen"): the same network as
-- tests/bench/bench_engine.c's mlp_b64_h256_t2 - a hard-sharing MLP
-- 784 -> 256 -> 256 (ReLU), two heads 256 -> 128 -> 10, softmax
-- cross-entropy, Adam, batch 64 - on pseudo-random inputs. No validation or test split,
-- so the run's wall time is training plus what the front end adds: the
-- same script runs headless and in the workbench, and the two wall times
-- are compared. The budget comes from --set train.steps=N.
local mtl = require "mtl"

local n, d = 1024, 784
return mtl.experiment {
  name = "screen bench: mlp b64 h256 t2",
  data = mtl.data.generate {
    n = n, train = n, val = 0, test = 0, seed = 1,
    types = { a = "class", b = "class" }, classes = { a = 10, b = 10 },
    fn = function(i)
      local x = {}
      for j = 1, d do
        local v = math.sin(i * 12.9898 + j * 78.233) * 43758.5453
        x[j] = v - math.floor(v) - 0.5
      end
      -- learnable labels (the arg max of two groups of ten inputs), so the
      -- gradients stay of a normal size for the whole run
      local a, b = 1, 11
      for j = 2, 10 do if x[j] > x[a] then a = j end end
      for j = 12, 20 do if x[j] > x[b] then b = j end end
      return x, { a = a - 1, b = b - 11 }
    end,
  },
  tasks = {
    mtl.task.classify { name = "a", target = "a" },
    mtl.task.classify { name = "b", target = "b" },
  },
  topology = mtl.share.hard { trunk = { 256, 256 }, head = { 128 } },
  weighting = mtl.weight.equal {},
  optim = mtl.optim.adam { lr = 1e-3 },
  train = { batch = 64, steps = 1000, eval_every = 100000000, relations_every = 100000000, seed = 1 },
}

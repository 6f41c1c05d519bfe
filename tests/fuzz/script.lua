-- The fixed script of the script harness (tests/fuzz/fuzz_script.c): each
-- input is a list of --set overrides applied to this experiment, which is
-- then validated. Small data, so that one input takes a millisecond.
local mtl = require 'mtl'
local data = mtl.data.generate { n = 24, val = 4, test = 4,
  fn = function(i)
    local c = i % 3
    return { c + 0.5, (i % 5) * 0.1, 1 }, { cls = c, dist = c * 0.5 }
  end, types = { cls = 'class', dist = 'regress' } }
return mtl.experiment {
  name = 'fuzz',
  data = data,
  tasks = { mtl.task.classify { name = 'cls' }, mtl.task.regress { name = 'dist', weight = 0.5 } },
  topology = mtl.share.hard { trunk = { 8 }, head = { 4 } },
  weighting = mtl.weight.uncertainty(),
  optim = mtl.optim.adam { lr = 1e-3 },
  train = { batch = 8, epochs = 2, seed = 1 },
}

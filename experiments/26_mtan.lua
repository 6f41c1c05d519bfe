-- 26_mtan.lua - MTAN, the multi-task attention network (Liu, Johns &
-- Davison, CVPR 2019), against hard sharing with the same trunk.
--
-- Data: 1000 Fashion-MNIST training images (as 01_hard_sharing_fashion),
-- two tasks on each: the item (10 classes) and its group (4 classes).
-- Needs Debian's dataset-fashion-mnist (scripts/setup.sh installs it).
--
-- Two networks with the same shared trunk - two conv blocks (8 and 16
-- channels, 5x5, pool 2) and a dense layer of 64 - and heads of 32, 2
-- seeds each (4 runs):
--   hard   both heads read the trunk's top;
--   mtan   each task has its own chain of soft attention masks, one per
--          shared level (1x1-convolution masks on the conv blocks, a
--          dense mask on the dense layer), and its head reads its own
--          masked features. With every mask at 1 it would be the hard
--          network; the masks start near 1/2 and are learned.
--
-- What to watch: 'c' for the two tasks' accuracies side by side; the
-- parameter counts in the report (MTAN's masks and task copies of the
-- levels add task parameters).
--
-- What the runs show (measured, seeds 1 and 2, 10 epochs): no advantage
-- at this size. Test accuracy, item / group: hard 0.791 / 0.975 and 0.744 /
-- 0.977; mtan 0.773 / 0.968 and 0.749 / 0.975 - within the seed-to-seed
-- spread - with 192078 parameters against hard sharing's 58286 (the same
-- 53664 shared ones; each task's copies of the levels and its masks add
-- the rest) and about twice the time per step. The paper's gains are on
-- dense prediction (segmentation, depth, normals) with deep backbones,
-- where what to take from which level matters more than in two
-- classification heads over a small trunk. The claim (the `claim` at the
-- end of this script; `mtlab run` prints its verdict) is that null: the
-- mean accuracies within 0.03, the shared parameters the same.
-- Four conv runs take a minute or more: `make test-claims` checks it,
-- `make test` does not.
--
-- Run: mtlab run experiments/26_mtan.lua
--      mtlab experiments/26_mtan.lua   (the workbench)
local mtl = require "mtl"

local runs = {}
for _, seed in ipairs(mtl.seeds(2)) do
  local base = mtl.experiment {
    name = string.format("hard s%d", seed),
    description = "Hard sharing: both heads read the conv + dense trunk's top.",
    data = mtl.data.fashion_mnist { train = 1000, val = 1000, test = 2000, seed = 1 },
    tasks = {
      mtl.task.classify { name = "item", target = "label" },
      mtl.task.classify { name = "group", target = mtl.data.fashion_group, classes = 4 },
    },
    topology = mtl.share.hard { conv = { 8, 16 }, trunk = { 64 }, head = { 32 } },
    optim = mtl.optim.adam { lr = 1e-3 },
    train = { batch = 64, epochs = 10, seed = seed },
  }
  runs[#runs + 1] = base
  runs[#runs + 1] = mtl.variant(base, {
    name = string.format("mtan s%d", seed),
    description = "MTAN: each task's attention masks select from every shared level.",
    topology = mtl.share.mtan { conv = { 8, 16 }, trunk = { 64 }, head = { 32 } } })
end
runs.claim = {
  text = "no advantage at this size: MTAN's mean test accuracy (over the seeds and both tasks) is within 0.03 of hard "
    .. "sharing's, with the same shared parameters and about three times as many in all",
  check = function(r)
    local hard, mtan = {}, {}
    for i = 1, #r, 2 do
      hard[#hard + 1] = mtl.stats.mean(mtl.stats.task_values(r[i], "test_metric"))
      mtan[#mtan + 1] = mtl.stats.mean(mtl.stats.task_values(r[i + 1], "test_metric"))
    end
    local h, m = mtl.stats.mean(hard), mtl.stats.mean(mtan)
    local ph, pm = r[1].params, r[2].params
    return math.abs(m - h) < 0.03 and ph.shared == pm.shared and pm.total > 2 * ph.total,
      string.format("mean test accuracy: hard %.3f, mtan %.3f; parameters %d and %d in all, %d and %d shared", h, m,
                    ph.total, pm.total, ph.shared, pm.shared)
  end,
  seeds = { 1, 3, 5 }, draws = { 0 },
}
return mtl.compare(runs)

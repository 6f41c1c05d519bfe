-- 11_cross_stitch.lua - cross-stitch networks (Misra et al. 2016; survey
-- section 6.3): one column per task, and after every layer a learned T x T
-- unit alpha that mixes the columns' outputs, x~_i = sum_j alpha_ij x_j.
--
-- Three regression tasks on 16 inputs: y1 and y2 read the same 8 inputs
-- through nearly the same weights (related tasks); y3 reads the other 8
-- (unrelated to both). alpha starts near the identity (0.9 on the
-- diagonal, 0.05 elsewhere): every column begins almost on its own.
--
-- What to watch on the screen ('m' cycles the matrices):
--   * "cross-stitch alpha L1" and "L2": the entries between y1 and y2 leave
--     their starting 0.05 (the columns start to read each other), while
--     the entries linking y3 to the others stay small: the network learns
--     which tasks to share with. Signs can be negative: a column may use
--     another's features with either sign; the magnitude is what matters.
--   * per_channel = true (--set topology.per_channel=true) gives every unit
--     of a layer its own alpha; the heatmap then shows their signed mean,
--     in which opposite signs cancel - the claim below is about the
--     per-layer units and does not hold for that mean.
--
-- The claim (the `claim` at the end of this script: `mtlab run`
-- prints its verdict, tests/test_e2e_columns.c asserts it): summing |alpha_ij| +
-- |alpha_ji| over both stitched layers, the related pair's mixing ends at
-- least 1.5 x the larger of the unrelated pairs', and above its starting
-- value (0.2).
--
-- Run: mtlab experiments/11_cross_stitch.lua --speed 50   (slow enough to narrate)
--      mtlab run experiments/11_cross_stitch.lua
local mtl = require "mtl"

math.randomseed(mtl.data_seed(5))
local d = 16
local function gauss()
  return math.sqrt(-2 * math.log(1 - math.random())) * math.cos(2 * math.pi * math.random())
end
local w1, w2, w3 = {}, {}, {}
for k = 1, d do w1[k], w2[k], w3[k] = 0, 0, 0 end
for k = 1, 8 do
  w1[k] = gauss() / math.sqrt(8)
  w2[k] = w1[k] + 0.2 * gauss() / math.sqrt(8) -- y2 ~ y1
end
for k = 9, 16 do w3[k] = gauss() / math.sqrt(8) end -- y3: other inputs
local function dot(w, x)
  local s = 0
  for k = 1, d do s = s + w[k] * x[k] end
  return s
end
local function target(a) return math.tanh(2 * a) + 0.5 * a end

return mtl.experiment {
  name = "cross-stitch: related and unrelated tasks",
  description = [[
Task columns mixed by learned cross-stitch units. y1 and y2 are related, y3
is not. Watch the alpha matrices: the y1/y2 entries grow, the entries
linking y3 stay near where they started.]],
  data = mtl.data.generate {
    n = 3000, train = 1500, val = 500, test = 1000,
    fn = function(i)
      local x = {}
      for k = 1, d do x[k] = gauss() end
      return x, { y1 = target(dot(w1, x)), y2 = target(dot(w2, x)), y3 = target(dot(w3, x)) }
    end,
    types = { y1 = "regress", y2 = "regress", y3 = "regress" },
  },
  tasks = {
    mtl.task.regress { name = "y1" },
    mtl.task.regress { name = "y2" },
    mtl.task.regress { name = "y3" },
  },
  topology = mtl.share.cross_stitch { trunk = { 16, 16 }, init = 0.9 },
  optim = mtl.optim.adam { lr = 3e-3 },
  train = { batch = 32, epochs = 40, seed = 1 },
  claim = {
    text = "the cross-stitch units mix the related pair y1/y2 more than 1.5 times as much as any pair with y3 "
      .. "(|alpha_ij| + |alpha_ji| over both layers), and more than 0.2",
    check = function(r)
      local A1, A2 = r[1].matrices["cross-stitch alpha L1"].last, r[1].matrices["cross-stitch alpha L2"].last
      local function mix(i, j) return math.abs(A1[i][j]) + math.abs(A1[j][i]) + math.abs(A2[i][j]) + math.abs(A2[j][i]) end
      local rel, unrel = mix(1, 2), math.max(mix(1, 3), mix(2, 3))
      return rel > 1.5 * unrel and rel > 0.2,
        string.format("mixing y1/y2 %.3f, largest with y3 %.3f (start 0.2)", rel, unrel)
    end,
    seeds = { 1, 2, 3 }, draws = { 0, 1, 2 },
  },
}

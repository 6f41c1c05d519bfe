-- 44_landscape_new_combiners.lua - the aggregators added after 43, on
-- the CAGrad toy (see 40_landscape_combiners.lua for the landscape, the
-- start points and the Pareto front).
--
-- Methods: dualproj, config, sdmgrad, moco, db_mtl and excess_mtl, from
-- each of the five start points: 30 runs, Adam (lr 0.001), 200000 steps
-- (43's budget). 45_landscape_new_weightings.lua has fairgrad, gls, stch
-- and rlw. Krum and trimmed_mean are not here: they need at least three
-- tasks (krum: T >= f + 3; trimmed_mean: T > 2 trim), and this toy has two.
--
-- As in 43 every loss is f_k + 20 (topology field offset = 20), so that
-- the methods that use the loss values (moco scales each gradient to its
-- loss, db_mtl uses the gradients of log L_i) see positive losses. The
-- offset changes no gradient, so it changes nothing for the others.
--
-- What to watch: as in 40 - 'c' for the scatter of final losses (f + 20),
-- the "position" and "objectives" matrices, '[' ']' through the runs.
--
-- Where each ends after 200000 steps, and why (measured with lr 0.001
-- and with lr 0.001 (1 + 1e-6); the Pareto set is x2 ~ -8.4, x1 in
-- [-7, 7]; on it the two gradients are opposed):
--   * dualproj reaches the front from all five starts and stops where it
--     meets it, spread over x1 in [-6.4, 4] (|x1| 1.4 or more): where the
--     gradients are opposed, the dual cone {v : v . g1 >= 0, v . g2 >= 0}
--     is the plane normal to them, the mean is parallel to them, and its
--     projection is 0 - every Pareto-stationary point is a fixed point
--     (as for upgrad in 43). Once on the floor it moves less than 0.5
--     along it.
--   * config reaches the front from all five starts. On the front the
--     unit gradients are u2 = -u1, no v has u1 . v = u2 . v = 1, the
--     least-squares v is 0 and so is d, so it may stop where it meets it;
--     but near the front the equal-cosine direction is discontinuous
--     (the gradients become dependent), and from (-8.5, 7.5), (9, 9) and
--     (-7.5, -0.5) a 1e-6 change of the learning rate or the start decides
--     whether it stops where it arrives or creeps along the floor to
--     x1 = 0 (by up to 3.6). The claim says only that it reaches the front.
--   * sdmgrad (lambda 0.3) reaches the front from all five starts and
--     stops where it meets it, further out than mgda (|x1| between 3.3
--     and 5.4): d is the min-norm point of the hull of g_i + 0.3 g0,
--     divided by 1.3, and on the front (g2 = -s g1, g0 parallel to them)
--     the shifted gradients still point in opposite directions, so the
--     hull holds the origin and d = 0.
--   * moco reaches the front from all five starts and ends near its ends
--     (|x1| > 5.8), jittering by about 0.2 across the floor in x2: its
--     direction is the tracked gradients' weighted sum, and the tracking
--     (beta / sqrt t) and the single projected step on the weights lag
--     behind x, so on the floor x overshoots in x2 back and forth instead
--     of stopping exactly.
--   * db_mtl reaches the front from all five starts and then moves along
--     it into its middle (|x1| < 0.35 after 200000 steps, x1 ~ 0 from
--     three starts): to first order d = m (b1 / |b1| + b2 / |b2|)
--     vanishes on the front, and the remaining drift comes from the
--     buffered (beta 0.9) gradients of log(f_k + 20), which Adam
--     normalises; it always went to the middle here, but that direction
--     is measured, not derived.
--   * excess_mtl stays in the logarithmic valley above x2 = 0 from
--     (-8.5, 7.5) and (9, 9), at about (-5, 3.4) and (5, 4): there its
--     weights go to (2, 0) - the whole weight on f1, whose AdaGrad-scaled
--     gradient grew most relative to its first one - and f1 alone stalls
--     in the valley too. From the other three starts it reaches the front
--     at x1 = -4.5, 4.6 and -1.7; from (-7.5, -0.5) and (9, -1) the
--     uneven weights (about 1.66 : 0.34) carry x across the middle to the
--     other side.
-- krum and trimmed_mean need three or more tasks (krum: T >= f + 3,
-- trimmed_mean: T > 2 trim); they are tested on the random-Jacobian
-- suite (tests/test_mtl_combine_props.c) instead.
-- The claim at the end of this script says these in code (with
-- experiments/lib/cagrad_toy.lua, as 40 and 43 do); it held for the runs
-- as written, with the learning rate times 1 -/+ 1e-6 and with every
-- start moved by (1e-6, -1e-6); tests/test_e2e_weighting.c asserts it as
-- written and perturbed (30 runs: 8-40 s each way on 2 cores).
--
-- Run: mtlab experiments/44_landscape_new_combiners.lua
--      mtlab run experiments/44_landscape_new_combiners.lua
local mtl = require "mtl"

local toy = require "lib.cagrad_toy" -- the runs (toy.experiment), the claim's judgements
local starts = toy.starts

local methods = {
  { "dualproj", "DualProj (torchjd): the mean gradient projected onto the dual cone of the two "
                .. "gradients (no step increases either loss to first order)." },
  { "config", "ConFIG (Liu et al. 2024): the direction with equal cosines to both gradients, "
              .. "scaled by the sum of their projections on it." },
  { "sdmgrad", "SDMGrad (Xiao et al. 2023): the min-norm point of the hull of g_i + 0.3 g0, "
               .. "averaged with 0.3 g0." },
  { "moco", "MoCo (Fernando et al. 2023): gradients scaled to their loss, tracked by a moving "
            .. "average, weighted by a projected step on their Gram matrix." },
  { "db_mtl", "DB-MTL (Lin et al. 2023): buffered gradients of log L_i, each scaled to the "
              .. "larger norm." },
  { "excess_mtl", "ExcessMTL (He et al. 2024): multiplicative weights from AdaGrad-scaled "
                  .. "excess-risk estimates." },
}

local function run(method, text, s)
  return toy.experiment(method, text, s, mtl.weight[method] {}, 20)
end

local runs = {}
for _, m in ipairs(methods) do
  for _, s in ipairs(starts) do runs[#runs + 1] = run(m[1], m[2], s) end
end
runs.claim = {
  text = "dualproj and sdmgrad reach the front from all five starts and stop where they meet it (x1 moves "
    .. "less than 0.5 once on its floor), spread over more than 4 in x1, sdmgrad away from the middle "
    .. "(|x1| > 1.5); config reaches the front from all five (where on it depends on the path); moco "
    .. "reaches the front near its ends (|x1| > 5.5) from all five; db_mtl reaches the front and ends in its middle (|x1| < 0.5) from all five; excess_mtl "
    .. "stalls in the valley above x2 = 0 from (-8.5, 7.5) and (9, 9) and reaches the front from the others",
  check = function(r)
    local expect = {}
    local function add(label, s, test, what) expect[#expect + 1] = { label, s, test, what } end
    local function finished_on_front(run) return run.status == "finished" and toy.on_front(run) end
    for s = 1, 5 do
      add("dualproj", s, toy.stops_anywhere, "on the front where it met it")
      add("config", s, finished_on_front, "on the front")
      add("sdmgrad", s, toy.stops, "on the front where it met it, away from the middle")
      add("moco", s, function(run)
        return finished_on_front(run) and math.abs(toy.at(run)[1]) > 5.5
      end, "near an end of the front (|x1| > 5.5)")
      add("db_mtl", s, function(run) return toy.middle(run, 0.5) end, "the middle of the front")
      if s == 1 or s == 3 then add("excess_mtl", s, toy.stuck, "stalled above x2 = 0")
      else add("excess_mtl", s, finished_on_front, "on the front") end
    end
    local ok, msg = toy.judge(r, expect)
    for _, m in ipairs { "dualproj", "sdmgrad" } do
      local spread = toy.spread(r, m)
      if not (spread > 4) then
        ok, msg = false, msg .. string.format("; %s's end points spread over %.3g in x1 (expected > 4)", m, spread)
      end
    end
    return ok, msg
  end,
  seeds = { 1 }, draws = { 0 },
}
return mtl.compare(runs)

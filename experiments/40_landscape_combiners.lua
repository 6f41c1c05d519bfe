-- 40_landscape_combiners.lua - gradient combiners on a known Pareto front:
-- the two-objective toy of Liu et al. 2021 (CAGrad), reused by Navon et
-- al. 2022 (Nash-MTL) and Liu et al. 2023 (FAMO).
--
-- There is no network and no data: the "model" is one point x = (x1, x2),
-- shared by both tasks (mtl.share.landscape), and task k's loss IS the
-- objective f_k(x) (loss = "value"; mtl.data.landscape is one dummy
-- example). Each method moves x with its combined gradient - Adam, lr
-- 0.001, as in the papers' toy - from each of the five start points of
-- the CAGrad and Nash-MTL figures:
--   (-8.5, 7.5)  (-8.5, -5)  (9, 9)  (-7.5, -0.5)  (9, -1).
-- The Pareto set is the segment x1 in [-7, 7] near x2 = -8.4 (the bottom
-- of the valley); its front runs from (f1, f2) ~ (-0.4, -20) to (-20,
-- -0.4), through (-15.1, -15.1) at x1 = 0. Above x2 = 0 the objectives
-- are logarithms with a narrow valley where gradient descent can stall.
-- Methods here: equal (linear scalarisation), mgda, pcgrad, cagrad,
-- nash_mtl and imtl_g - 30 runs, near the 32 a script may return;
-- 43_landscape_more_combiners.lua has aligned_mtl, upgrad, graddrop,
-- gradvac and famo.
--
-- Budget: 100000 steps per run - enough for every method here that gets
-- to the front to arrive - 0.1 to 2 s each headless (under 10 s for all).
--
-- What to watch on the screen:
--   * 'c' (comparison): the scatter of the final (f1, f2) of every run -
--     the Pareto picture; each run is labelled by its number (1-9, then
--     a-z, in the order of the table), bright when Pareto-optimal;
--   * the heatmap ('m' cycles): "position" is x, "objectives" (f1, f2);
--   * '[' and ']' step through the runs; the loss plot is f1 and f2 over
--     time (try 'l', log scale does not apply: they go negative).
--   * --speed 2000 slows training down to watch x travel.
--
-- What the mathematics says, and what the runs show:
--   * equal weighting reaches the front from (-8.5, -5), (-7.5, -0.5) and
--     (9, -1), in its middle (|x1| < 0.5: it minimises f1 + f2), but
--     stays in the logarithmic valley above x2 = 0 from (-8.5, 7.5) and
--     (9, 9) (it leaves it only after about 600000 steps);
--   * mgda and pcgrad reach the front from all five starts and stop
--     where they first meet it: on the front the two gradients are
--     opposed, and the min-norm point of their hull (MGDA) and their
--     projections on each other's normal planes (PCGrad) vanish, so every
--     Pareto-stationary point is a fixed point. Where they meet it depends
--     on the start: they end away from the middle (|x1| > 1.5), spread
--     over more than 4 units in x1, and move less than 0.5 along the front
--     once on its floor;
--   * imtl_g reaches the front from all five starts, spread like mgda,
--     and ends there with an error (status "failed"): with opposed
--     gradients the only direction with equal projections on both is 0,
--     and IMTL-G's closed form assumes independent gradients; mtlab says
--     "the task gradients are linearly dependent" instead of returning a
--     silent d = 0;
--   * cagrad (c = 0.5) ends next to the minimiser of the average loss,
--     x1 ~ 0 (|x1| < 0.5), from every start: its direction stays within
--     c |g0| of the mean gradient g0, which does not vanish on the front
--     away from the middle;
--   * nash_mtl ends with an error (status "failed" in summary.json) from
--     every start: where the two gradients are opposed, the bargaining
--     equations alpha_i (G G^T alpha)_i = 1 have no positive solution.
--     From the three starts below the valley that happens on the front;
--     from (-8.5, 7.5) and (9, 9) it can happen already in the valley,
--     depending on the path (a start moved by 1e-6 shows it). mtlab says
--     so instead of falling back silently.
-- The claim at the end of this script says every one of these in code
-- (experiments/lib/cagrad_toy.lua judges the end points; `mtlab run`
-- prints the verdict); tests/test_e2e_weighting.c asserts it for the runs
-- as written, with the learning rate times 1 + 1e-6 and with every start
-- moved by (1e-6, -1e-6); scripts/check-portable.sh adds 1 - 1e-6, two
-- BLAS threads and other OpenBLAS kernels (tests/README.md).
--
-- Run: mtlab experiments/40_landscape_combiners.lua     (the workbench)
--      mtlab run experiments/40_landscape_combiners.lua
--      (exit code 1: the nash_mtl and imtl_g runs end with their errors)
local mtl = require "mtl"

local toy = require "lib.cagrad_toy" -- the claim's judgements of end points
local starts = toy.starts

local methods = {
  { "equal", "Linear scalarisation: the gradient of f1 + f2." },
  { "mgda", "MGDA (Sener & Koltun 2018): the min-norm point of the hull of the two gradients; "
            .. "stops at the first Pareto-stationary point." },
  { "pcgrad", "PCGrad (Yu et al. 2020): each gradient loses its component along the other "
              .. "when they conflict." },
  { "cagrad", "CAGrad (Liu et al. 2021, c = 0.5): the best worst-case improvement within a ball "
              .. "around the average gradient." },
  { "nash_mtl", "Nash-MTL (Navon et al. 2022): the bargaining solution alpha_i (M alpha)_i = 1; "
                .. "undefined once the gradients are opposed." },
  { "imtl_g", "IMTL-G (Liu et al. 2021): the direction with equal projections on every unit "
              .. "task gradient." },
}

local runs = {}
for _, m in ipairs(methods) do
  for _, s in ipairs(starts) do
    runs[#runs + 1] = mtl.experiment {
      name = string.format("%s from (%g, %g)", m[1], s[1], s[2]),
      description = m[2] .. string.format(
        " The point starts at (%g, %g); the front is the valley floor near x2 = -8.4.", s[1], s[2]),
      data = mtl.data.landscape {},
      tasks = {
        mtl.task.regress { name = "f1", loss = "value", metric = "loss" },
        mtl.task.regress { name = "f2", loss = "value", metric = "loss" },
      },
      topology = mtl.share.landscape { problem = "cagrad_toy", start = s },
      weighting = mtl.combine[m[1]] {},
      optim = mtl.optim.adam { lr = 0.001 },
      train = { batch = 1, steps = 100000, eval_every = 500, relations_every = 5000, seed = 1 },
    }
  end
end
runs.claim = {
  text = "equal weighting stalls in the valley from (-8.5, 7.5) and (9, 9) and reaches the middle of the front "
    .. "from the other starts; mgda and pcgrad reach the front from all five and stop where they meet it "
    .. "(end points spread over more than 4 in x1); cagrad reaches its middle from all five; imtl_g stops on "
    .. "the front, away from its middle, with its dependence error; nash_mtl ends with its error from every "
    .. "start, on the front from the three starts below the valley",
  check = function(r)
    local expect = {}
    local function add(label, s, test, what) expect[#expect + 1] = { label, s, test, what } end
    local function middle(run) return toy.middle(run, 0.5) end
    for s = 1, 5 do
      if s == 1 or s == 3 then add("equal", s, toy.stuck, "stalled above x2 = 0")
      else add("equal", s, middle, "the middle of the front") end
      add("mgda", s, toy.stops, "on the front where it met it")
      add("pcgrad", s, toy.stops, "on the front where it met it")
      add("cagrad", s, middle, "the middle of the front")
      add("imtl_g", s, function(run)
        return run.status == "failed" and run.message:find("the task gradients are linearly dependent", 1, true)
          and toy.on_front(run) and math.abs(toy.at(run)[1]) > 1.5
      end, "failed on the front (dependent gradients), away from the middle")
      add("nash_mtl", s, function(run)
        return run.status == "failed" and run.message:find("no solution of alpha_i (G G^T alpha)_i = 1", 1, true)
          and (s == 1 or s == 3 or toy.on_front(run))
      end, "failed (no bargaining solution)" .. ((s == 1 or s == 3) and "" or " on the front"))
    end
    local ok, msg = toy.judge(r, expect)
    for _, m in ipairs { "mgda", "pcgrad", "imtl_g" } do
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

-- 7_combination.lua - lesson on gradient combination (after the survey:
-- MGDA, PCGrad, CAGrad, Nash-MTL, IMTL-G), on the two-objective toy of
-- the CAGrad paper. The runs are 40_landscape_combiners.lua's: six
-- methods from five start points each, every path drawn on the plane.
return {
  title = "Gradient combination: where each method stops on a Pareto front",
  section = "combination",
  summary = "Six gradient combiners from five starts on the CAGrad toy, every path on one plane (40_landscape_combiners)",
  script = "../40_landscape_combiners.lua",
  steps = {
    { say = [[
When two tasks' gradients conflict, a plain sum can move one task backwards.
Gradient-combination methods build the update from the task gradients
instead: MGDA takes the smallest vector in their convex hull, PCGrad
projects each gradient off the other's normal plane when they conflict,
CAGrad looks for the best worst-case improvement near the average gradient,
Nash-MTL solves a bargaining problem, IMTL-G asks for equal projections.

There is no network here: the "model" is one point x = (x1, x2) and the two
losses are known functions, so we can draw the whole picture. The Pareto
set - the points where neither loss can fall without the other rising - is
the thick line near the bottom of the plane.]],
      pause = true, focus = "notes" },
    { say = [[
The plane, enlarged: shaded by f1 + f2, the Pareto set, and the path of
every run (thirty: six methods from five starts), one glyph per method, the
start a ring, the current point in reverse video. The first 3000 steps.]],
      matrix = "landscape", enlarge = "matrix", run_to = 3000, speed = 1000 },
    { say = "On the Pareto set the two gradients point in exactly opposite directions.",
      ask = "What do MGDA and PCGrad do once a path reaches the Pareto set, and what does CAGrad do?",
      answer = [[
MGDA's smallest vector in the hull of two opposite gradients is 0, and
PCGrad's projections cancel: every Pareto-stationary point is a fixed
point, so they stop where they first meet the front, at different places
for different starts. CAGrad stays within a ball around the average
gradient, which does not vanish away from the middle: it slides on to the
minimiser of f1 + f2, the middle of the front, from every start.]] },
    { say = [[
Further, to step 30000. Paths from the two upper starts cross the narrow
logarithmic valley first; equal weighting (plain sum) may stall there.
'[' and ']' step through the runs; the bold path is the run on screen.]],
      matrix = "landscape", enlarge = "matrix", run_to = 30000, speed = 0 },
  },
}

-- lib/cagrad_toy.lua - what the claims of 40, 43, 44 and 45_landscape_*.lua
-- say about where a run on the CAGrad toy ends, written once for all, and
-- the run 43, 44 and 45 make of each method and start (toy.experiment).
-- The Pareto set is the valley floor near x2 = -8.4 with x1 in [-7, 7];
-- mtl.landscape evaluates the toy with the code the runs train on.
local mtl = require "mtl"

local toy = {}

-- The five start points of the CAGrad and Nash-MTL figures.
toy.starts = { { -8.5, 7.5 }, { -8.5, -5 }, { 9, 9 }, { -7.5, -0.5 }, { 9, -1 } }

-- The run "<label> from (x1, x2)" of the results.
function toy.run(r, label, s)
  local name = string.format("%s from (%g, %g)", label, s[1], s[2])
  return r[name] or error("no run named \"" .. name .. "\"", 2)
end

-- The experiment "<label> from (x1, x2)": the toy's point from start s
-- moved by weighting (an mtl.weight or mtl.combine value), the losses
-- offset by offset (mtl.share.landscape), Adam at lr 0.001 for 200000
-- steps; text (the method's description) heads its description.
function toy.experiment(label, text, s, weighting, offset)
  return mtl.experiment {
    name = string.format("%s from (%g, %g)", label, s[1], s[2]),
    description = text .. string.format(" The point starts at (%g, %g).", s[1], s[2]),
    data = mtl.data.landscape {},
    tasks = {
      mtl.task.regress { name = "f1", loss = "value", metric = "loss" },
      mtl.task.regress { name = "f2", loss = "value", metric = "loss" },
    },
    topology = mtl.share.landscape { problem = "cagrad_toy", start = s, offset = offset },
    weighting = weighting,
    optim = mtl.optim.adam { lr = 0.001 },
    train = { batch = 1, steps = 200000, eval_every = 1000, relations_every = 5000, seed = 1 },
  }
end

-- Where a run ended: its last position x and objectives f.
function toy.at(run)
  return run.matrices.position.last[1], run.matrices.objectives.last[1]
end

-- Whether a point of the front, sampled along the valley floor x2 = -8.4,
-- beats f by more than 0.05 in both objectives.
function toy.dominated(f)
  for i = 0, 1400 do
    local g1, g2 = mtl.landscape("cagrad_toy", { -7 + 0.01 * i, -8.4 })
    if g1 < f[1] - 0.05 and g2 < f[2] - 0.05 then return true end
  end
  return false
end

-- On the Pareto front: on the valley floor, inside the set, undominated.
function toy.on_front(run)
  local x, f = toy.at(run)
  return x[2] < -7.5 and math.abs(x[1]) < 7.1 and not toy.dominated(f)
end

-- Stalled in the logarithmic valley above x2 = 0, far from the front.
function toy.stuck(run)
  local x, f = toy.at(run)
  return x[2] > 0 and toy.dominated(f)
end

-- Finished on the front near its middle x1 = 0 (f1 = f2).
function toy.middle(run, tol)
  local x = toy.at(run)
  return run.status == "finished" and toy.on_front(run) and math.abs(x[1]) < tol
end

-- Finished on the front where it first met it, as a method whose every
-- Pareto-stationary point is a fixed point must: x1 moves by less than 0.5
-- between the first recorded position on the valley floor (x2 < -8.3) and
-- the end, and the end is away from the middle (|x1| > 1.5).
function toy.stops(run)
  return toy.stops_anywhere(run) and math.abs(toy.at(run)[1]) > 1.5
end

-- How far x1 moved after the run first reached the valley floor (x2 <
-- -8.3) by its recorded positions; nil if it never did.
function toy.moved(run)
  local first, moved = nil, 0
  for _, h in ipairs(run.history("position")) do
    local x1, x2 = h.value[1][1], h.value[1][2]
    if not first and x2 < -8.3 then first = x1 end
    if first then moved = math.max(moved, math.abs(x1 - first)) end
  end
  return first and moved
end

-- Finished on the front where it first met it (x1 moved by less than 0.5
-- since), wherever that is: also in the middle.
function toy.stops_anywhere(run)
  if run.status ~= "finished" or not toy.on_front(run) then return false end
  local moved = toy.moved(run)
  return moved ~= nil and moved < 0.5
end

-- The spread of the end points' x1 over the five starts of a method.
function toy.spread(r, label)
  local lo, hi = math.huge, -math.huge
  for _, s in ipairs(toy.starts) do
    local x = toy.at(toy.run(r, label, s))
    lo, hi = math.min(lo, x[1]), math.max(hi, x[1])
  end
  return hi - lo
end

-- A claim's check from a list of expectations: each { label, start index,
-- test function, what it means }. Returns ok and a message naming every
-- run that missed.
function toy.judge(r, expect)
  local missed = {}
  for _, e in ipairs(expect) do
    local run = e.run or toy.run(r, e[1], toy.starts[e[2]])
    if not e[3](run) then
      local x = toy.at(run)
      missed[#missed + 1] = string.format("%s ends at (%.3g, %.3g), %s: expected %s", run.name, x[1], x[2],
                                          run.status, e[4])
    end
  end
  if #missed == 0 then return true, string.format("all %d runs end where the mathematics says", #expect) end
  return false, table.concat(missed, "; ")
end

return toy

-- mtl.lua - the Lua half of mtlab's experiment language.
--
-- Every constructor here only builds a plain table tagged with what it is
-- (__kind) and where the script made it (__where = "file.lua:12"); the C
-- half (src/lua) validates each field, names the exact path of anything
-- wrong, and compiles the declaration into data, a network and a trainer.
-- See docs/lua-api.md for every function and field.
local core = require "mtl.core"

local mtl = { version = core.version }

-- "file.lua:12" of the function `level` levels above the caller (the
-- debug library is not available to sandboxed scripts; core.where is
-- debug.getinfo's "Sl" reduced to that)
local function where(level)
  return core.where(level + 1)
end

-- tag(kind, fields, level): the table itself, tagged, or a clear error at
-- the caller's line when fields is not a table.
local function tag(kind, t, level)
  level = level or 2
  if t == nil then t = {} end
  if type(t) ~= "table" then
    error(kind .. ": expected a table of fields, got " .. type(t), level + 1)
  end
  t.__kind = kind
  t.__where = t.__where or where(level + 1)
  return t
end
mtl.tag = tag

--- Experiments -----------------------------------------------------------

function mtl.experiment(t) return tag("experiment", t) end

-- A copy of an experiment with some fields replaced, for comparisons:
--   mtl.variant(base, { name = "uncertainty", weighting = mtl.weight.uncertainty() })
local function copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  -- data declarations are shared, not copied: every variant trains on the
  -- same examples and split
  if type(v.__kind) == "string" and v.__kind:sub(1, 5) == "data." then return v end
  local c = {}
  seen[v] = c
  for k, x in pairs(v) do c[k] = copy(x, seen) end
  return c
end
mtl.copy = copy

function mtl.variant(base, changes)
  if type(base) ~= "table" or base.__kind ~= "experiment" then
    error("mtl.variant: the first argument must be an mtl.experiment", 2)
  end
  local e = copy(base)
  for k, v in pairs(changes or {}) do
    if type(v) == "table" and type(e[k]) == "table" and v.__kind == nil and e[k].__kind == nil
       and k == "train" then
      for kk, vv in pairs(v) do e[k][kk] = vv end
    else
      e[k] = v
    end
  end
  e.__where = where(2)
  return e
end

-- Several experiments to compare side by side (same data and seed).
function mtl.compare(list)
  if type(list) ~= "table" then error("mtl.compare: expected a list of experiments", 2) end
  list.__kind = "compare"
  return list
end

-- A sweep: every base experiment times every combination of grid values,
-- each run with every seed (`mtlab sweep`; `mtlab run` trains the base):
--   mtl.sweep { base = e, grid = { weighting = { "equal", "pcgrad" } }, seeds = { 1, 2, 3 } }
-- Grid keys are --set paths ("topology.trunk"); values are data (numbers,
-- strings, booleans, tables of them, constructors such as mtl.share.mmoe {...}).
function mtl.sweep(t) return tag("sweep", t) end

--- Data ----------------------------------------------------------------

local data = {}
mtl.data = data
for _, name in ipairs(core.data_names()) do -- the C registry (src/lua/data_build.c)
  data[name] = function(t) return tag("data." .. name, t) end
end

-- Fashion-MNIST's coarse groups: tops, bottoms, footwear, bags & accessories.
--   0 T-shirt/top, 2 Pullover, 3 Dress, 4 Coat, 6 Shirt -> 0 tops
--   1 Trouser                                           -> 1 bottoms
--   5 Sandal, 7 Sneaker, 9 Ankle boot                    -> 2 footwear
--   8 Bag                                               -> 3 bags and accessories
data.FASHION_CLASSES = { [0] = "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" }
data.FASHION_GROUP = { [0] = 0, 1, 0, 0, 0, 2, 0, 2, 3, 2 }
data.FASHION_GROUP_NAMES = { [0] = "tops", "bottoms", "footwear", "bags" }
function data.fashion_group(label) return data.FASHION_GROUP[label] end

--- Tasks -----------------------------------------------------------------

local task, aux = {}, {}
mtl.task, mtl.aux = task, aux

local function make_task(kind, is_aux)
  return function(t)
    t = tag("task", t, 2)
    t.type = kind
    if is_aux then t.aux = true end
    return t
  end
end
task.classify = make_task("class", false)
task.regress  = make_task("regress", false)
task.binary   = make_task("binary", false)
aux.classify  = make_task("class", true)
aux.regress   = make_task("regress", true)
aux.binary    = make_task("binary", true)
-- Adversarial auxiliary task (gradient reversal, Ganin & Lempitsky 2015):
-- the trunk learns representations from which this task is hard.
function aux.adversarial(t)
  t = tag("task", t, 2)
  t.type = t.type or "class"
  t.aux = true
  t.reverse = t.reverse or 1.0
  return t
end
-- A probe: reads the shared representation through a stop-gradient, so it
-- measures what the trunk encodes without shaping it.
function aux.probe(t)
  t = tag("task", t, 2)
  t.type = t.type or "class"
  t.aux = true
  t.detach = true
  return t
end
-- Predicting inputs (survey 5.x, "predicting inputs"): reconstruct x itself.
function aux.reconstruct(t)
  t = tag("task", t, 2)
  t.type = "regress"
  t.aux = true
  t.target = "@inputs"
  return t
end

--- Topologies ---------------------------------------------------------------

local share = {}
mtl.share = share
setmetatable(share, { __index = function(_, name)
  return function(t) t = tag("share", t, 2); t.type = name; return t end
end })

-- Non-graph models (survey section 5) in place of a network:
--   topology = mtl.model.gp { kernel = "rbf", rank = 1 }   (also krr, hier_bayes)
local model = {}
mtl.model = model
setmetatable(model, { __index = function(_, name)
  return function(t) t = tag("model", t, 2); t.type = name; return t end
end })

-- A misspelt constructor (mtl.task.clasify) is an error that names it and
-- suggests the closest one, instead of "attempt to call a nil value".
local function strict(tbl, prefix)
  return setmetatable(tbl, { __index = function(_, k)
    local names = {}
    for name, v in pairs(tbl) do
      if type(v) == "function" then names[#names + 1] = name end
    end
    table.sort(names)
    local close = type(k) == "string" and core.closest(k, names) or nil
    error(("%s.%s: no such constructor%s (there are: %s)"):format(prefix, tostring(k),
          close and (" (did you mean " .. prefix .. "." .. close .. "?)") or "",
          table.concat(names, ", ")), 2)
  end })
end
strict(data, "mtl.data")
strict(task, "mtl.task")
strict(aux, "mtl.aux")

--- Regularisers (any topology) ---------------------------------------------

local reg = {}
mtl.reg = reg
setmetatable(reg, { __index = function(_, name)
  return function(t) t = tag("reg", t, 2); t.type = name; return t end
end })

--- Loss weighting and gradient combination -------------------------------

local weight = {}
mtl.weight = weight
setmetatable(weight, { __index = function(_, name)
  return function(t) t = tag("weight", t, 2); t.method = name; return t end
end })
mtl.combine = weight -- mtl.combine.pcgrad() reads better for combiners

--- Optimisers ------------------------------------------------------------

local optim = {}
mtl.optim = optim
setmetatable(optim, { __index = function(_, name)
  return function(t) t = tag("optim", t, 2); t.name = name; return t end
end })

--- Teaching helpers (C) ----------------------------------------------------

-- Gradient combiners on explicit vectors, for teaching and testing:
--   local d, alpha = mtl.methods.pcgrad { { -4, 1, 1 }, { 6, 1, 1 } }
--   local d, alpha = mtl.methods.cagrad({ g1, g2 }, { c = 0.4 })
-- d is the combined direction, alpha the task weights it implies.
mtl.methods = setmetatable({}, { __index = function(_, name)
  return function(G, opts)
    local ok, d, alpha = pcall(core.combine, name, G, opts)
    if not ok then error((tostring(d):gsub("^[^:]*:%d+: ", "")), 2) end
    return d, alpha
  end
end })
mtl.method_names = core.method_names

--- Seeds, data draws and claims ---------------------------------------------

-- mtl.seeds(n): { N, ..., N+n-1 } with N = --seed (1 without it), for a
-- script that runs several seeds itself; --seed N then offsets them.
-- mtl.draw: the data draw (--draw N, 0 as shipped); mtl.data_seed(s) is
-- s + 1000 * draw, for math.randomseed in a script that builds its data.
mtl.seeds = core.seeds
mtl.draw = core.draw()
mtl.data_seed = core.data_seed
-- mtl.landscape("cagrad_toy", { x1, x2 }) -> f1, f2: an analytic
-- landscape's objectives at a point (for claims about end points)
mtl.landscape = core.landscape

-- Small statistics for claims (docs/lua-api.md "Claims"): the finite
-- values of a list; NaN when there are none.
local stats = {}
mtl.stats = stats
local function finite(xs)
  local out = {}
  for _, x in ipairs(xs) do
    if type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge then out[#out + 1] = x end
  end
  return out
end
function stats.mean(xs)
  local v, s = finite(xs), 0
  if #v == 0 then return 0 / 0 end
  for _, x in ipairs(v) do s = s + x end
  return s / #v
end
function stats.median(xs)
  local v = finite(xs)
  if #v == 0 then return 0 / 0 end
  table.sort(v)
  local m = #v // 2
  return #v % 2 == 1 and v[m + 1] or (v[m] + v[m + 1]) / 2
end
function stats.geomean(xs)
  local v, s = finite(xs), 0
  if #v == 0 then return 0 / 0 end
  for _, x in ipairs(v) do
    if x <= 0 then return 0 / 0 end
    s = s + math.log(x)
  end
  return math.exp(s / #v)
end
function stats.min(xs) local v = finite(xs); table.sort(v); return v[1] or 0 / 0 end
function stats.max(xs) local v = finite(xs); table.sort(v); return v[#v] or 0 / 0 end
-- the list of tasks.<t>.<field> of a run's main tasks (every task with
-- all = true), in task-name order
function stats.task_values(run, field, all)
  local names, out = {}, {}
  for name, t in pairs(run.tasks) do
    if all or not t.aux then names[#names + 1] = name end
  end
  table.sort(names)
  for i, name in ipairs(names) do out[i] = run.tasks[name][field] end
  return out
end
-- the list f(x) of every x of xs
function stats.map(xs, f)
  local out = {}
  for i, x in ipairs(xs) do out[i] = f(x, i) end
  return out
end

return mtl

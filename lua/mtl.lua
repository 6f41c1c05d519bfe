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

--- Searches (docs/lua-api.md "Task grouping") -----------------------------

local search = {}
mtl.search = search

-- The common network fields a group copies from the base's topology.
local NET_FIELDS = { "trunk", "head", "conv", "act", "norm", "dropout" }

-- The opening of every mtl.search.NAME { ... }: the declaration tagged
-- with its script line, unknown fields named (with the closest known one),
-- `base` an mtl.experiment; returns t, where, fail (an error naming
-- search.NAME.<msg> at the line), base, its task count and int(key,
-- default, lo, hi), an integer field's value in range.
local function search_begin(name, t, fields)
  t = tag("search." .. name, t, 3) -- the line of the mtl.search call
  local where = t.__where
  local function fail(msg) error(where .. ": search." .. name .. "." .. msg, 0) end
  local known = { __kind = 1, __where = 1 }
  for _, f in ipairs(fields) do known[f] = 1 end
  for key in pairs(t) do
    if not known[key] then
      local names = {}
      for n in pairs(known) do if not n:find("^__") then names[#names + 1] = n end end
      table.sort(names)
      local close = type(key) == "string" and core.closest(key, names) or nil
      fail(tostring(key) .. ": unknown field" .. (close and (" (did you mean '" .. close .. "'?)") or
        (" (there are: " .. table.concat(names, ", ") .. ")")))
    end
  end
  local base = t.base
  if type(base) ~= "table" or base.__kind ~= "experiment" then fail("base: expected an mtl.experiment") end
  local ntasks = type(base.tasks) == "table" and #base.tasks or 0
  local function int(key, dflt, lo, hi)
    local v = t[key]
    if v == nil then v = dflt end
    if math.type(v) ~= "integer" or v < lo or v > hi then
      fail(("%s: expected an integer from %d to %d, got %s"):format(key, lo, hi, tostring(v)))
    end
    return v
  end
  return t, where, fail, base, ntasks, int
end

-- mtl.search.groups { base = e, k = 2, budget = 600, measure = 150 }
-- (survey section 6.9; Fifty et al. 2021): a joint run of `measure` steps
-- measures the lookahead transfer affinity every `every` steps, the
-- partition into k groups with the highest total affinity is searched
-- (mtl/groups.h), and three experiments are returned, each trained for
-- `budget` steps with single-task baselines (delta_m): the proposed
-- groups, all tasks in one network, every task alone. The second value
-- says what was found: affinity (rows), tasks, groups (per task), members
-- (the tasks of each group), order, score and the scores of all-in-one
-- and all-apart.
function search.groups(t)
  local where, fail, base, ntasks, int
  t, where, fail, base, ntasks, int =
    search_begin("groups", t, { "base", "k", "budget", "measure", "every", "beam" })
  if ntasks < 2 then fail("base.tasks: a grouping needs 2 or more tasks") end
  local k = int("k", nil, 1, ntasks)
  local budget = int("budget", base.train and base.train.steps or nil, 1, 1000000000)
  local measure = int("measure", math.max(1, budget // 4), 1, 1000000000)
  local every = int("every", 1, 1, measure)
  local beam = int("beam", 256, 1, 100000)
  local topo = base.topology
  if topo ~= nil and not (type(topo) == "table" and (topo.type == "hard" or topo.type == "groups")) then
    fail("base.topology: expected mtl.share.hard (each group copies its trunk and heads), got " ..
      (type(topo) == "table" and tostring(topo.type) or type(topo)))
  end
  local function net(groups)
    local s = mtl.share.groups { groups = groups }
    s.__where = where
    if topo == nil then s.trunk = { 64 } end
    for _, f in ipairs(NET_FIELDS) do if topo and topo[f] ~= nil then s[f] = copy(topo[f]) end end
    return s
  end
  local ones, apart = {}, {}
  for i = 1, ntasks do ones[i], apart[i] = 1, i end
  -- the measuring run: all tasks in one network (hard sharing), no baselines
  local probe = mtl.variant(base, { name = (base.name or "experiment") .. " (measuring affinity)",
    topology = net(ones), train = { steps = measure, affinity_every = every, baselines = false } })
  probe.on_step, probe.on_eval, probe.on_epoch, probe.claim = nil, nil, nil, nil
  local A, names = core.group_affinity(probe)
  local groups, score = core.partition(A, k, beam)
  local order, members = {}, {}
  for g = 1, k do
    members[g] = {}
    for i = 1, ntasks do
      if groups[i] == g then order[#order + 1] = i; members[g][#members[g] + 1] = names[i] end
    end
  end
  local function total(assign)
    local s = 0
    for i = 1, ntasks do
      local sum, m = 0, 0
      for j = 1, ntasks do
        if j ~= i and assign[j] == assign[i] then sum, m = sum + A[j][i], m + 1 end
      end
      if m > 0 then s = s + sum / m end
    end
    return s
  end
  local found = { affinity = A, tasks = names, groups = groups, members = members, order = order, score = score,
                  together_score = total(ones), apart_score = 0, measure = measure, k = k, budget = budget }
  -- the affinity with the tasks in group order (the screen's "group affinity")
  local R, labels = {}, {}
  for p, i in ipairs(order) do
    labels[p] = names[i]
    R[p] = {}
    for q, j in ipairs(order) do R[p][q] = A[i][j] end
  end
  local text = {}
  for g = 1, k do text[g] = "{" .. table.concat(members[g], ", ") .. "}" end
  found.text = table.concat(text, " ")
  local lo, hi = 0, 0
  for i = 1, ntasks do for j = 1, ntasks do
    if i ~= j then lo, hi = math.min(lo, A[i][j]), math.max(hi, A[i][j]) end
  end end
  local bound = math.max(-lo, hi, 1e-12)
  local function variant(name, assign, what)
    local e = mtl.variant(base, { name = name, topology = net(assign),
      train = { steps = budget, baselines = true } })
    e.claim = nil -- the base's claim is about the base
    e.description = (base.description and base.description ~= "" and (base.description .. "\n\n") or "") ..
      what .. string.format(" Proposed groups by the mean transfer affinity of a %d-step joint run: %s "
        .. "(total affinity %.4g; all in one %.4g).", measure, found.text, score, found.together_score)
    local user = base.on_eval
    e.on_eval = function(run, n)
      run:publish("group affinity", R, labels, labels, -bound, bound)
      if user then return user(run, n) end
    end
    return e
  end
  local list = mtl.compare {
    variant("groups", groups, "The tasks trained in the proposed groups, one network per group."),
    variant("all in one", ones, "Every task in one network (hard sharing)."),
    variant("all apart", apart, "Every task in its own network."),
  }
  return list, found
end

-- mtl.search.tree { base = e, cost = { 0.5, 0.02 }, budget = 600, measure = 150 }
-- (Branched Multi-Task Networks, Vandenhende et al. 2019; Learning to
-- Branch, Guo et al. 2020): over the base's trunk layers, the branching
-- tree whose partitions refine going up with the highest affinity kept
-- inside shared branches minus cost[l] per extra branch of layer l
-- (mtl/branch.h; cost in units of the mean absolute affinity between two
-- tasks), from the lookahead transfer affinity of a `measure`-step joint
-- run (as mtl.search.groups). Returns two experiments trained for
-- `budget` steps with single-task baselines: "tree" (mtl.share.fafs with
-- the tree fixed) and "all in one" (the same topology, one branch per
-- layer); the second value says what was found: affinity, tasks, tree
-- (per layer, each task's branch from 1), codes (fafs's groups), text,
-- score and the score of all in one.
function search.tree(t)
  local where, fail, base, ntasks, int
  t, where, fail, base, ntasks, int =
    search_begin("tree", t, { "base", "cost", "budget", "measure", "every", "beam" })
  if ntasks < 2 or ntasks > 13 then fail("base.tasks: a tree needs 2 to 13 tasks (fafs), got " .. ntasks) end
  local topo = base.topology
  if not (type(topo) == "table" and topo.type == "hard" and type(topo.trunk) == "table" and #topo.trunk >= 1) then
    fail("base.topology: expected mtl.share.hard with a trunk of 1 or more layers (the tree branches them)")
  end
  local L = #topo.trunk
  local cost = t.cost
  if type(cost) == "number" then
    local c = {}
    for l = 1, L do c[l] = cost end
    cost = c
  end
  if type(cost) ~= "table" or #cost ~= L then
    fail(("cost: expected a number or a list of %d numbers (one per trunk layer)"):format(L))
  end
  for l = 1, L do
    local c = cost[l]
    if type(c) ~= "number" or c ~= c or c < 0 or c == math.huge then
      fail(("cost[%d]: expected a finite number >= 0, got %s"):format(l, tostring(c)))
    end
  end
  local budget = int("budget", base.train and base.train.steps or nil, 1, 1000000000)
  local measure = int("measure", math.max(1, budget // 4), 1, 1000000000)
  local every = int("every", 1, 1, measure)
  local beam = int("beam", 64, 1, 10000)
  local function net(codes)
    local s = mtl.share.fafs { groups = codes, done = L }
    s.__where = where
    for _, f in ipairs(NET_FIELDS) do if topo[f] ~= nil then s[f] = copy(topo[f]) end end
    return s
  end
  local hard = mtl.share.hard {}
  hard.__where = where
  for _, f in ipairs(NET_FIELDS) do if topo[f] ~= nil then hard[f] = copy(topo[f]) end end
  local probe = mtl.variant(base, { name = (base.name or "experiment") .. " (measuring affinity)",
    topology = hard, train = { steps = measure, affinity_every = every, baselines = false } })
  probe.on_step, probe.on_eval, probe.on_epoch, probe.claim = nil, nil, nil, nil
  local A, names = core.group_affinity(probe)
  -- the costs are in units of the mean absolute affinity between two tasks,
  -- so the tree does not depend on the scale of the lookahead (learning
  -- rate, loss scale)
  local scale = 0
  for i = 1, ntasks do for j = 1, ntasks do if i ~= j then scale = scale + math.abs(A[i][j]) end end end
  scale = scale / (ntasks * (ntasks - 1))
  local priced = {}
  for l = 1, L do priced[l] = cost[l] * scale end
  local tree, score = core.branch_tree(A, priced, beam)
  -- fafs's groups: per layer, each task's branch (from 0) as a hex digit, task 1 first
  local codes, zeros, text = {}, {}, {}
  for l = 1, L do
    local c, parts = 0, {}
    for i = 1, ntasks do
      c = c * 16 + (tree[l][i] - 1)
      local b = tree[l][i]
      parts[b] = parts[b] or {}
      parts[b][#parts[b] + 1] = names[i]
    end
    codes[l], zeros[l] = c, 0
    local ps = {}
    for b = 1, #parts do ps[b] = "{" .. table.concat(parts[b], ", ") .. "}" end
    text[l] = "layer " .. l .. ": " .. table.concat(ps, " ")
  end
  -- all in one: every task's mean affinity from all the others, at every layer
  local together = 0
  for i = 1, ntasks do
    local sum = 0
    for j = 1, ntasks do if j ~= i then sum = sum + A[j][i] end end
    together = together + L * sum / (ntasks - 1)
  end
  local found = { affinity = A, tasks = names, tree = tree, codes = codes, text = table.concat(text, "; "),
                  score = score, together_score = together, cost = cost, scale = scale, priced = priced, measure = measure, budget = budget }
  local function variant(name, c, what)
    local e = mtl.variant(base, { name = name, topology = net(c), train = { steps = budget, baselines = true } })
    e.claim = nil -- the base's claim is about the base
    e.description = (base.description and base.description ~= "" and (base.description .. "\n\n") or "") ..
      what .. string.format(" Tree by the mean transfer affinity of a %d-step joint run: %s (score %.4g; all in one %.4g).",
        measure, found.text, score, together)
    return e
  end
  local list = mtl.compare {
    variant("tree", codes, "The tasks trained in the searched branching tree (fafs with the tree fixed)."),
    variant("all in one", zeros, "Every task in one network: the same trunk, one branch per layer."),
  }
  return list, found
end

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

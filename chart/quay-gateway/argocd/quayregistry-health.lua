-- Argo CD health check for quay.redhat.com/v1 QuayRegistry.
-- The same reading as the gateway's StatusInterpreter (src/QuayGateway/Registries/Model/StatusInterpreter.cs)
-- for a registry seen without history: both status shapes (current operators' ComponentsCreated,
-- Component*Ready and observedGeneration; 3.6-era Available=False/MigrationsInProgress and
-- unhealthyComponents), RolloutBlocked, and failed migrations. Lua 5.1 only (Argo CD runs gopher-lua).
-- Tested with lua5.1 against the gateway's interpreter by ArgoCdHealthCheckTests.
local hs = {}

local function condition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function text(value, fallback)
  if value == nil or value == "" then
    return fallback
  end
  return value
end

-- "ComponentClairPostgresReady" -> "clairpostgres"; "ComponentHPAReady" -> "horizontalpodautoscaler".
local function componentOf(conditionType)
  local name = string.lower(string.sub(conditionType, 10, -6))
  if name == "hpa" then
    return "horizontalpodautoscaler"
  end
  return name
end

-- Unhealthy components: Component*Ready=False (current operators) and unhealthyComponents (3.6).
local function causes(status, conditions)
  local found = {}
  for _, c in ipairs(conditions) do
    local t = c.type or ""
    local isComponent = string.sub(t, 1, 9) == "Component" and string.sub(t, -5) == "Ready"
      and string.len(t) >= 14
    if isComponent and c.status == "False" then
      local reason = text(c.reason, "ComponentNotReady")
      table.insert(found, componentOf(t) .. " " .. reason .. ": " .. text(c.message, ""))
    end
  end
  if type(status.unhealthyComponents) == "table" then
    local names = {}
    for name, _ in pairs(status.unhealthyComponents) do
      table.insert(names, name)
    end
    table.sort(names)
    for _, name in ipairs(names) do
      local entries = status.unhealthyComponents[name]
      if type(entries) == "table" then
        for _, e in ipairs(entries) do
          table.insert(found, name .. " " .. text(e.reason, "Unhealthy") .. ": " .. text(e.message, ""))
        end
      end
    end
  end
  return found
end

local function verdict(health, reason, message, found)
  hs.status = health
  hs.message = reason .. ": " .. message
  if found ~= nil and #found > 0 then
    hs.message = hs.message .. " (" .. table.concat(found, "; ") .. ")"
  end
  return hs
end

local status = obj.status
if status == nil then
  return verdict("Progressing", "RolloutInProgress", "Waiting for the Quay Operator to report a status.", nil)
end

local conditions = status.conditions
if type(conditions) ~= "table" then
  conditions = {}
end
local generation = 1
if obj.metadata ~= nil and obj.metadata.generation ~= nil then
  generation = obj.metadata.generation
end
local observed = status.observedGeneration
local blocked = condition(conditions, "RolloutBlocked")
local created = condition(conditions, "ComponentsCreated")
local available = condition(conditions, "Available")
local found = causes(status, conditions)

-- Where observedGeneration is reported, the rest of the status is about that generation only.
local generationObserved = observed == nil or observed >= generation

if blocked ~= nil and blocked.status == "True" then
  return verdict("Degraded", text(blocked.reason, "RolloutBlocked"), text(blocked.message, ""), found)
end

if created ~= nil and created.status ~= "True"
    and (created.reason == "MigrationsFailed" or created.reason == "PostgresUpgradeFailed"
      or created.reason == "MigrationsJobMissing") then
  return verdict("Degraded", created.reason, text(created.message, ""), found)
end

-- Migrations done: ComponentsCreated=True on current operators; on 3.6, currentVersion is set and Available no
-- longer says MigrationsInProgress.
local migrationsDone
if created ~= nil then
  migrationsDone = created.status == "True"
else
  migrationsDone = status.currentVersion ~= nil
    and (available == nil or available.reason ~= "MigrationsInProgress")
end

if generationObserved and migrationsDone and available ~= nil and available.status == "True" then
  return verdict("Healthy", text(available.reason, "HealthChecksPassing"), text(available.message, ""), nil)
end

if not generationObserved then
  local waiting = "The operator has not observed generation " .. tostring(generation) .. " yet."
  return verdict("Progressing", "WaitingForOperator", waiting, found)
end
if created ~= nil and created.status ~= "True" then
  return verdict("Progressing", text(created.reason, "ComponentsNotCreated"), text(created.message, ""), found)
end
if available ~= nil then
  return verdict("Progressing", text(available.reason, "NotAvailable"), text(available.message, ""), found)
end
return verdict("Progressing", "RolloutInProgress", "The operator is creating the registry's components.", found)

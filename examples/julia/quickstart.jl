#=
The agentos quick start from Julia, through `ccall` on the C API (agentos.h).
Line for line the same program as tests/c_api/kernel_api.c, which CI runs;
this file is UNTESTED (Julia cannot be installed on the build machine).

    AGENTOS_LIBRARY=/path/to/libagentos.so julia examples/julia/quickstart.jl

Exits non-zero if any expectation fails.
=#

const REPO = normpath(joinpath(@__DIR__, "..", ".."))
const LIB = get(ENV, "AGENTOS_LIBRARY", joinpath(REPO, "bindings", "python", "agent_os", "libagentos.so"))
const AGENTOS_SOURCE_DIR = get(ENV, "AGENTOS_SOURCE_DIR", REPO)

# Result codes, action kinds and severities: agentos.h / agentos_kernel.h.
const AGENTOS_OK = Cint(0)
const AGENTOS_INVALID = Cint(2)
const AGENTOS_PARSE = Cint(3)
const AGENTOS_IO = Cint(4)
const AGENTOS_ACTION_SQL = Int32(0)
const AGENTOS_ACTION_TOOL_CALL = Int32(1)
const AGENTOS_ACTION_SPEND = Int32(2)
const AGENTOS_SEVERITY_NONE = Cint(-1)
const AGENTOS_SEVERITY_LOW = Int32(0)
const AGENTOS_SEVERITY_CRITICAL = Int32(3)

const g_passed = Ref(0)
const g_failed = Ref(0)

errmsg() = unsafe_string(ccall((:agentos_errmsg, LIB), Cstring, ()))

macro EXPECT(cond)
    line = __source__.line
    text = string(cond)
    quote
        if $(esc(cond))
            g_passed[] += 1
        else
            g_failed[] += 1
            println(stderr, "quickstart.jl:", $line, ": expected ", $text, " (errmsg: ", errmsg(), ")")
        end
    end
end

const kIssuePolicy = """
version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: budget
    type: cost
    max_cost_usd: 100
"""

const kToolPolicy = """
version: 1
policies:
  - name: tools
    type: tool
    allow: ["db.*", "search"]
    deny: ["db.drop*"]
    max_calls: 3
  - name: budget
    type: cost
    max_cost_usd: 1.0
"""

# agentos_action and agentos_violation, laid out as in C (isbits structs).
# struct_size is set to sizeof the struct, as the C API requires.
struct AgentosAction
    struct_size::UInt32
    kind::Int32
    agent_id::Ptr{UInt8}
    agent_id_len::Csize_t
    tool::Ptr{UInt8}
    tool_len::Csize_t
    payload::Ptr{UInt8}
    payload_len::Csize_t
    cost_usd::Cdouble
    tokens::Int64
end

struct AgentosViolation
    struct_size::UInt32
    policy::Cstring
    rule::Cstring
    reason::Cstring
    severity::Int32
    blocked::Int32
end

const NULLSTR = reinterpret(Cstring, C_NULL)
const NOVIOLATION = AgentosViolation(sizeof(AgentosViolation), NULLSTR, NULLSTR, NULLSTR, 0, 0)

# The strings passed here are literals, which Julia never moves or frees,
# so the raw pointers stored in the struct stay valid.
cptr(s) = s === nothing ? Ptr{UInt8}(C_NULL) : pointer(s)
clen(s) = s === nothing ? Csize_t(0) : Csize_t(sizeof(s))
make_action(kind, tool, payload, cost) =
    AgentosAction(sizeof(AgentosAction), kind, Ptr{UInt8}(C_NULL), 0, cptr(tool), clen(tool), cptr(payload), clen(payload), cost, 0)

function load(yaml)
    k = Ref{Ptr{Cvoid}}(C_NULL)
    rc = ccall((:agentos_kernel_from_yaml, LIB), Cint, (Ptr{UInt8}, Csize_t, Cstring, Ref{Ptr{Cvoid}}),
               yaml, sizeof(yaml), "inline.yaml", k)
    @EXPECT rc == AGENTOS_OK
    @EXPECT k[] != C_NULL
    return rc == AGENTOS_OK ? k[] : C_NULL
end

# 1 if the action is allowed, 0 if denied, -1 if the call failed.
function check(k, s, d, a::AgentosAction)
    rc = ccall((:agentos_kernel_check, LIB), Cint, (Ptr{Cvoid}, Ptr{Cvoid}, Ref{AgentosAction}, Ptr{Cvoid}),
               k, s, a, d)
    rc != AGENTOS_OK && return -1
    return decision_allowed(d)
end

decision_new(out) = ccall((:agentos_decision_new, LIB), Cint, (Ref{Ptr{Cvoid}},), out)
decision_free(d) = ccall((:agentos_decision_free, LIB), Cvoid, (Ptr{Cvoid},), d)
kernel_free(k) = ccall((:agentos_kernel_free, LIB), Cvoid, (Ptr{Cvoid},), k)
violation(d, i, v) = ccall((:agentos_decision_violation, LIB), Cint, (Ptr{Cvoid}, Csize_t, Ref{AgentosViolation}), d, i, v)

# Queries answer through an out-parameter; these return the answer, or -2
# (no answer has that value) if the call failed.
function query(fn, handle, T)
    out = Ref{T}(0)
    rc = ccall(fn, Cint, (Ptr{Cvoid}, Ref{T}), handle, out)
    return rc == AGENTOS_OK ? Int(out[]) : -2
end
decision_allowed(d) = query((:agentos_decision_allowed, LIB), d, Int32)
max_severity(d) = query((:agentos_decision_max_severity, LIB), d, Int32)
violation_count(d) = query((:agentos_decision_violation_count, LIB), d, Csize_t)
policy_count(k) = query((:agentos_kernel_policy_count, LIB), k, Csize_t)
is_audit(k) = query((:agentos_kernel_is_audit, LIB), k, Int32)
str(c::Cstring) = reinterpret(Ptr{Cvoid}, c) == C_NULL ? "" : unsafe_string(c)

function test_version_and_codes()
    @EXPECT unsafe_string(ccall((:agentos_version, LIB), Cstring, ())) == "0.1.0"
    @EXPECT ccall((:agentos_version_number, LIB), Cint, ()) == 100
    @EXPECT unsafe_string(ccall((:agentos_errstr, LIB), Cstring, (Cint,), AGENTOS_OK)) == "AGENTOS_OK"
    @EXPECT unsafe_string(ccall((:agentos_errstr, LIB), Cstring, (Cint,), AGENTOS_INVALID)) == "AGENTOS_INVALID"
    @EXPECT unsafe_string(ccall((:agentos_errstr, LIB), Cstring, (Cint,), -7)) == "AGENTOS_UNKNOWN"
end

function test_allow_all_and_free_null()
    k = Ref{Ptr{Cvoid}}(C_NULL)
    d = Ref{Ptr{Cvoid}}(C_NULL)
    @EXPECT ccall((:agentos_kernel_allow_all, LIB), Cint, (Ref{Ptr{Cvoid}},), k) == AGENTOS_OK
    @EXPECT decision_new(d) == AGENTOS_OK
    @EXPECT decision_allowed(d[]) == 0  # nothing checked yet: denied
    @EXPECT policy_count(k[]) == 0
    @EXPECT check(k[], C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "DROP TABLE users", 0)) == 1
    @EXPECT max_severity(d[]) == AGENTOS_SEVERITY_NONE
    decision_free(d[])
    kernel_free(k[])
    kernel_free(C_NULL)
    ccall((:agentos_state_free, LIB), Cvoid, (Ptr{Cvoid},), C_NULL)
    decision_free(C_NULL)
end

# A shared handle decides like the original and outlives it; either is
# freed on its own.
kernel_share(k, out) = ccall((:agentos_kernel_share, LIB), Cint, (Ptr{Cvoid}, Ptr{Ptr{Cvoid}}), k, out)

function test_share_outlives_the_original()
    k = load(kIssuePolicy)
    shared = Ref{Ptr{Cvoid}}(C_NULL)
    d = Ref{Ptr{Cvoid}}(C_NULL)
    k == C_NULL && return
    @EXPECT kernel_share(k, shared) == AGENTOS_OK
    @EXPECT shared[] != C_NULL && shared[] != k
    @EXPECT kernel_share(C_NULL, shared) == AGENTOS_INVALID
    @EXPECT kernel_share(k, Ptr{Ptr{Cvoid}}(C_NULL)) == AGENTOS_INVALID
    kernel_free(k)
    @EXPECT decision_new(d) == AGENTOS_OK
    @EXPECT policy_count(shared[]) == 2
    @EXPECT check(shared[], C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "DROP TABLE users", 0)) == 0
    @EXPECT check(shared[], C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "SELECT name FROM users WHERE id = 1", 0)) == 1
    decision_free(d[])
    kernel_free(shared[])
end

function test_sql_policy()
    k = load(kIssuePolicy)
    d = Ref{Ptr{Cvoid}}(C_NULL)
    v = Ref(NOVIOLATION)
    name = Ref{Cstring}(NULLSTR)
    type = Ref{Cstring}(NULLSTR)
    k == C_NULL && return
    @EXPECT decision_new(d) == AGENTOS_OK
    @EXPECT policy_count(k) == 2
    @EXPECT is_audit(k) == 0
    @EXPECT ccall((:agentos_kernel_policy, LIB), Cint, (Ptr{Cvoid}, Csize_t, Ref{Cstring}, Ref{Cstring}),
                  k, 1, name, type) == AGENTOS_OK
    @EXPECT str(name[]) == "sql_safety"
    @EXPECT str(type[]) == "sql"

    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "SELECT name FROM users WHERE id = 1", 0)) == 1
    @EXPECT violation_count(d[]) == 0
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "UPDATE users SET a = 1 WHERE id = 2", 0)) == 1
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "DROP TABLE users", 0)) == 0
    @EXPECT violation_count(d[]) >= 1
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].policy) == "sql_safety"
    @EXPECT startswith(str(v[].rule), "sql.")
    @EXPECT length(str(v[].reason)) > 0
    @EXPECT v[].blocked == 1
    @EXPECT AGENTOS_SEVERITY_LOW <= v[].severity <= AGENTOS_SEVERITY_CRITICAL
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "DROP/**/TABLE users", 0)) == 0
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "UPDATE users SET a = 1", 0)) == 0
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "SELECT 1; DELETE FROM users", 0)) == 0
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SQL, nothing, "SELECT 'DROP TABLE x' AS drop_date", 0)) == 1
    @EXPECT check(k, C_NULL, d[], make_action(AGENTOS_ACTION_SPEND, nothing, nothing, 150.0)) == 0
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].policy) == "budget"

    begin
        # A batch: four statements in one buffer, results in caller arrays.
        stmts = ["SELECT 1", "DROP TABLE t", "UPDATE t SET a = 1 WHERE b = 2", "TRUNCATE t"]
        bytes = Vector{UInt8}(join(stmts))
        offsets = UInt64[0; cumsum(UInt64[sizeof(s) for s in stmts])]
        allowed = zeros(UInt8, 4)
        sev = zeros(Int8, 4)
        viol = zeros(UInt32, 4)
        @EXPECT ccall((:agentos_kernel_check_batch, LIB), Cint,
                      (Ptr{Cvoid}, Int32, Ptr{UInt8}, Csize_t, Ptr{UInt64}, Csize_t, Ptr{UInt8}, Ptr{Int8}, Ptr{UInt32}),
                      k, AGENTOS_ACTION_SQL, bytes, length(bytes), offsets, 4, allowed, sev, viol) == AGENTOS_OK
        @EXPECT allowed[1] == 1 && allowed[2] == 0 && allowed[3] == 1 && allowed[4] == 0
        @EXPECT sev[1] == AGENTOS_SEVERITY_NONE && sev[2] >= AGENTOS_SEVERITY_LOW
        @EXPECT viol[1] == 0 && viol[2] >= 1
    end
    decision_free(d[])
    kernel_free(k)
end

function test_tools_and_state()
    k = load(kToolPolicy)
    d = Ref{Ptr{Cvoid}}(C_NULL)
    s = Ref{Ptr{Cvoid}}(C_NULL)
    v = Ref(NOVIOLATION)
    cost = Ref{Cdouble}(-1)
    tokens = Ref{Int64}(-1)
    calls = Ref{UInt32}(0)
    actions = Ref{UInt32}(0)
    k == C_NULL && return
    @EXPECT decision_new(d) == AGENTOS_OK
    @EXPECT ccall((:agentos_state_new, LIB), Cint, (Ref{Ptr{Cvoid}},), s) == AGENTOS_OK
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "db.query", "{\"q\":1}", 0.25)) == 1
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.25)) == 1
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "db.drop_table", "{}", 0.0)) == 0
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].rule) == "tool.denied"
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "shell.exec", "rm -rf /", 0.0)) == 0
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].rule) == "tool.not_allowed"
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.75)) == 0  # 1.25 > 1
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].policy) == "budget"
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 1  # call 3 of 3
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 0  # call 4
    @EXPECT violation(d[], 0, v) == AGENTOS_OK
    @EXPECT str(v[].rule) == "tool.call_limit"
    @EXPECT ccall((:agentos_state_get, LIB), Cint,
                  (Ptr{Cvoid}, Ref{Cdouble}, Ref{Int64}, Ref{UInt32}, Ref{UInt32}),
                  s[], cost, tokens, calls, actions) == AGENTOS_OK
    @EXPECT cost[] == 0.5
    @EXPECT tokens[] == 0
    @EXPECT calls[] == 3
    @EXPECT actions[] == 3
    @EXPECT ccall((:agentos_state_reset, LIB), Cint, (Ptr{Cvoid},), s[]) == AGENTOS_OK
    @EXPECT check(k, s[], d[], make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 1
    ccall((:agentos_state_free, LIB), Cvoid, (Ptr{Cvoid},), s[])
    decision_free(d[])
    kernel_free(k)
end

function test_errors_change_nothing()
    k = load(kToolPolicy)
    untouched = Ref{Ptr{Cvoid}}(Ptr{Cvoid}(0x5e11))
    d = Ref{Ptr{Cvoid}}(C_NULL)
    a = make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)
    offsets = UInt64[0, 4, 3]  # decreasing
    allowed = UInt8[7, 7]
    v = Ref(NOVIOLATION)
    checkfn(k, a, d) = ccall((:agentos_kernel_check, LIB), Cint,
                             (Ptr{Cvoid}, Ptr{Cvoid}, Ref{AgentosAction}, Ptr{Cvoid}), k, C_NULL, a, d)
    batch(k, bytes, len, offsets, allowed) = ccall((:agentos_kernel_check_batch, LIB), Cint,
        (Ptr{Cvoid}, Int32, Ptr{UInt8}, Csize_t, Ptr{UInt64}, Csize_t, Ptr{UInt8}, Ptr{Int8}, Ptr{UInt32}),
        k, AGENTOS_ACTION_SQL, bytes, len, offsets, 2, allowed, C_NULL, C_NULL)
    k == C_NULL && return
    @EXPECT decision_new(d) == AGENTOS_OK
    @EXPECT check(k, C_NULL, d[], a) == 1

    a = AgentosAction(a.struct_size, 42, a.agent_id, a.agent_id_len, a.tool, a.tool_len, a.payload, a.payload_len, a.cost_usd, a.tokens)
    @EXPECT checkfn(k, a, d[]) == AGENTOS_INVALID
    @EXPECT occursin("unknown action kind 42", errmsg())
    @EXPECT decision_allowed(d[]) == 1  # the earlier decision stands
    a = AgentosAction(a.struct_size, AGENTOS_ACTION_TOOL_CALL, a.agent_id, a.agent_id_len, a.tool, a.tool_len, Ptr{UInt8}(C_NULL), 2,
                      a.cost_usd, a.tokens)  # payload NULL with payload_len 2
    @EXPECT checkfn(k, a, d[]) == AGENTOS_INVALID
    @EXPECT checkfn(C_NULL, a, d[]) == AGENTOS_INVALID
    @EXPECT violation(d[], 0, v) == AGENTOS_INVALID  # no violations

    @EXPECT batch(k, "abcd", 4, offsets, allowed) == AGENTOS_INVALID
    @EXPECT occursin("offsets", errmsg())
    @EXPECT allowed[1] == 7 && allowed[2] == 7
    offsets[3] = 5  # past the end
    @EXPECT batch(k, "abcd", 4, offsets, allowed) == AGENTOS_INVALID
    @EXPECT allowed[1] == 7

    from_yaml(y, name) = ccall((:agentos_kernel_from_yaml, LIB), Cint, (Ptr{UInt8}, Csize_t, Cstring, Ref{Ptr{Cvoid}}),
                               y, sizeof(y), name, untouched)
    @EXPECT from_yaml("version: 1\npolicies: [\n", "broken.yaml") == AGENTOS_PARSE
    @EXPECT startswith(errmsg(), "broken.yaml:")
    @EXPECT untouched[] == Ptr{Cvoid}(0x5e11)
    @EXPECT from_yaml("version: 1\npolicies: []\n", "empty.yaml") == AGENTOS_PARSE
    from_file(path) = ccall((:agentos_kernel_from_file, LIB), Cint, (Cstring, Ref{Ptr{Cvoid}}), path, untouched)
    @EXPECT from_file("/nonexistent/agentos/policy.yaml") == AGENTOS_IO
    @EXPECT occursin("/nonexistent/agentos/policy.yaml", errmsg())
    @EXPECT untouched[] == Ptr{Cvoid}(0x5e11)

    @EXPECT ccall((:agentos_kernel_allow_all, LIB), Cint, (Ptr{Cvoid},), C_NULL) == AGENTOS_INVALID
    @EXPECT length(errmsg()) > 0
    flag = Ref{Int32}(7)
    count = Ref{Csize_t}(7)
    @EXPECT ccall((:agentos_decision_allowed, LIB), Cint, (Ptr{Cvoid}, Ref{Int32}), C_NULL, flag) == AGENTOS_INVALID && flag[] == 0  # fails closed
    @EXPECT ccall((:agentos_kernel_policy_count, LIB), Cint, (Ptr{Cvoid}, Ref{Csize_t}), C_NULL, count) == AGENTOS_INVALID && count[] == 7
    decision_free(d[])
    kernel_free(k)
end

function test_example_policy_file()
    k = Ref{Ptr{Cvoid}}(C_NULL)
    rc = ccall((:agentos_kernel_from_file, LIB), Cint, (Cstring, Ref{Ptr{Cvoid}}),
               joinpath(AGENTOS_SOURCE_DIR, "examples", "policies", "sql_safety.yaml"), k)
    @EXPECT rc == AGENTOS_OK
    rc != AGENTOS_OK && return
    @EXPECT policy_count(k[]) == 2
    kernel_free(k[])
end

function main()
    test_version_and_codes()
    test_allow_all_and_free_null()
    test_sql_policy()
    test_share_outlives_the_original()
    test_tools_and_state()
    test_errors_change_nothing()
    test_example_policy_file()
    println("julia quickstart: ", g_passed[], " passed, ", g_failed[], " failed")
    return g_failed[] == 0 ? 0 : 1
end

exit(main())

#pragma once
// JSON lines into a table: every input line ends up loaded, or in the rejects file with the
// reason (file, line, column, SQLSTATE). Rows go to the server as binary COPY batches (COPY text
// for tables with a type we have no binary codec for), grouped by the set of keys present so that
// an absent key gives its column the DEFAULT, over several connections of one io_uring reactor.
// Exactly once: every batch is one transaction that also records its lines in a progress table
// (progress_table.hpp); a lost connection is reopened and its batch sent again, the progress
// record deciding whether a COMMIT whose answer was lost happened; --resume skips what earlier
// runs committed.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgstream/client/pg_connection.hpp"
#include "pgstream/load/insert_statement.hpp"

namespace pgstream::load {

struct LoadReport;

[[nodiscard]] std::size_t default_connections() noexcept;
[[nodiscard]] unsigned default_parse_threads() noexcept;

struct LoadOptions {
  std::vector<std::string> files;      // "-" = stdin; .gz and .zst are decompressed
  std::string table;
  // Defaults from bench/run-load-vs-peers: on a 2-core machine shared with the server, 2
  // connections and 10k-row batches were fastest (ahead of 4 x 10k within the noise; large batches
  // over many connections were worst). One connection per client core, 2 to 8.
  std::size_t connections = default_connections();  // parallel COPY streams
  std::size_t batch_rows = 10'000;     // rows per COPY (one transaction each)
  // Threads that parse and encode lines (0: the loading thread does it between its other work).
  unsigned parse_threads = default_parse_threads();
  std::size_t batch_bytes = 8u << 20;  // or this much (encoded rows plus their input lines)
  // Rows waiting in batches that are not full yet (rare key sets fill slowly): past this, the
  // oldest open batches go out as they are, so memory does not grow with the input.
  std::size_t open_batch_bytes = 32u << 20;
  std::string rejects_path;            // default: <table>.rejects.jsonl
  std::optional<std::uint64_t> max_errors;  // stop after more than this many rejects
  bool truncate = false;               // empty the table in the first batch's transaction
  std::string jsonb_column;            // also store the whole line here
  std::string rest_column;             // keys with no column go into this json/jsonb object
  std::vector<std::string> maps;       // "COL=/json/pointer": a column from a nested path
  bool force_text = false;             // COPY text format even when binary is possible
  // --mode insert: pipelined Parse/Bind/Execute/Sync of INSERT statements instead of COPY;
  // do_nothing/update add ON CONFLICT (conflict_key, default the primary key). With a conflict
  // mode, the rows of one key all go over one connection in input order, so the last line of a
  // key wins (update) or the first one stays (do_nothing), also across batches.
  bool insert = false;
  InsertMode on_conflict = InsertMode::insert;
  std::vector<std::string> conflict_key;
  InsertShape insert_shape = InsertShape::automatic;  // unnest arrays per batch, or one Bind per row
  // Exactly once: each batch's transaction records its lines in <state_schema>.load_progress.
  bool resume = false;                 // skip what an earlier run of the same load committed
  std::string load_id;                 // empty: derived from the table and the input files
  std::string state_schema = "pgstream";
  // Without it, a role that may not create or use the state schema loads without progress
  // records (a lost connection is then fatal once a COMMIT may have been sent, and --resume is
  // impossible); with it (--resume, --load-id, --state-schema imply it) that is an error.
  bool state_required = false;
  // A lost connection is reopened with exponential back-off, at most `retries` times in a row.
  unsigned retries = 10;
  std::chrono::milliseconds retry_initial_backoff{100};
  std::chrono::milliseconds retry_max_backoff{5000};
  bool synchronous_commit_off = false; // SET synchronous_commit = off on every connection
  // Counts SIGINT/SIGTERM (set by the caller's signal handler): 1 stops reading and lets the
  // batches in flight commit; 2 aborts at once (uncommitted batches roll back on the server).
  const std::atomic<int>* interrupts = nullptr;
  // Called about every progress_interval while loading (from the loading thread).
  std::function<void(const LoadReport&)> progress;
  std::chrono::milliseconds progress_interval{250};
};

struct LoadReport {
  std::uint64_t files = 0;
  std::uint64_t lines_read = 0;
  std::uint64_t blank_lines = 0;
  std::uint64_t rows_loaded = 0;
  std::uint64_t rows_rejected = 0;
  std::uint64_t batches = 0;
  std::uint64_t retries = 0;     // batches sent again after the server refused a row of them
  std::uint64_t bytes_read = 0;
  std::map<std::string, std::uint64_t> ignored_keys;  // keys with no column, and how often
  std::uint64_t ignored_key_count = 0;                // their total
  double seconds = 0;
  // Input sizes as stored (compressed for .gz/.zst) for the percentage and ETA; input_size is 0
  // when unknown (stdin, a pipe).
  std::uint64_t input_size = 0;
  std::uint64_t input_position = 0;
  // Where the time went. The loading thread reads (and decompresses), parses and encodes, and
  // waits on the connections; the connections (their seconds summed) stream batches to the
  // server, then wait for the server to finish each COPY.
  double reading_seconds = 0;
  double encoding_seconds = 0;
  double waiting_seconds = 0;
  double streaming_seconds = 0;
  double server_seconds = 0;
  bool stopped = false;          // stopped early (max-errors)
  bool interrupted = false;      // stopped by SIGINT/SIGTERM (the batches in flight committed)
  bool aborted = false;          // a second signal: stopped at once
  // Exactly once.
  std::string load_id;           // empty when the load ran without progress records
  std::string state_note;        // why it ran without them
  bool resumed = false;          // an earlier run's progress applied
  bool already_finished = false; // --resume of a load that had finished: nothing was loaded
  std::string finished_at;
  std::uint64_t lines_skipped = 0;        // committed by an earlier run (loaded or rejected)
  std::uint64_t resumed_rows = 0;         // rows earlier runs committed
  std::uint64_t resumed_rejected = 0;     // lines earlier runs recorded as rejected
  std::uint64_t reconnects = 0;           // connections opened again after a loss
  std::uint64_t batches_resent = 0;       // batches sent again after their connection was lost
  std::uint64_t ambiguous_committed = 0;  // COMMIT answer lost, found in the progress table
  std::uint64_t ambiguous_rolled_back = 0;  // COMMIT answer lost, not there: sent again
  std::string stop_reason;
  std::string rejects_path;      // empty when nothing was rejected
  std::string table;             // as the server names it
  std::string copy_format;       // "binary" or "text"
  std::string mode;              // "copy", "insert", "insert, on conflict do nothing|update"
  // --mode insert: what happened to the rows (rows_loaded = inserted + updated).
  std::uint64_t rows_inserted = 0;
  std::uint64_t rows_updated = 0;     // an existing row of the key took the line's values
  std::uint64_t rows_skipped = 0;     // do nothing: the key existed
  std::uint64_t rows_superseded = 0;  // update: a later line of the same batch had the same key
  std::uint64_t rows_uncounted = 0;   // of batches whose lost COMMIT answer hid that split
  std::size_t connections = 0;
};

// Runs the whole load. Errors: connection or I/O failures, a missing table, a connection that
// could not be reopened within `retries` (committed batches are in the table and in the progress
// records, so --resume goes on from there); a refused --resume. Rejected lines are not errors
// (they are counted and written to the rejects file).
[[nodiscard]] Result<LoadReport> run_load(const client::ConnectionBuilder& builder, const LoadOptions& options);

}  // namespace pgstream::load

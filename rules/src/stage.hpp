// The replayable stage shared by the vehicle, driver and convoy evaluators (private).
//
// A Stage keeps one entity's inputs in event-time order for the late horizon, its current
// state, the episodes it closed, and a checkpoint (a copy of the state) every K inputs. An
// input newer than all others is judged at once ("live"); any other input is inserted in
// order and marks the stage dirty; flush() then restores the last checkpoint before the first
// changed input, replays, and reports the difference between the episodes before and after
// (diff_episodes). The Eval parameter supplies:
//   using Input, State, Context;
//   static Timestamp time_of(const Input&);
//   static bool slot_less(const Input&, const Input&);   // strict weak order; equal = same slot
//   static bool preferred(const Input& a, const Input& b); // a replaces b in the same slot
//   static Timestamp detected_at(const Input&);           // wall clock of its arrival
//   static void step(State&, const Input&, Context&, Recorder&);
//   static void open_episodes(State&, std::vector<Episode*>&);
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "fleetwatch/rules/config.hpp"
#include "fleetwatch/rules/violation.hpp"

namespace fleetwatch::rules::detail {

// A detection lagging its start by more than this is late: no TTS (RULES.md, "Late data").
inline constexpr Seconds kLateDetection{600};

// Where an evaluator's step reports. Live: events go to `out`. Replay (out == nullptr):
// opens and updates are silent (the diff reports them), closes only fill the closed log.
struct Recorder {
    Outputs* out = nullptr;
    std::vector<Episode>* closed = nullptr;
    std::vector<Warning>* warnings = nullptr;  // live: published ones; replay: found ones
    std::uint64_t* next_id = nullptr;
    Timestamp detected_at{};  // received_at of the input being judged

    bool replaying() const noexcept { return out == nullptr; }

    void open(Episode& e) {
        if (replaying()) return;
        e.id = ++*next_id;
        e.late = detected_at - e.start > kLateDetection;
        out->events.push_back({EpisodeEventKind::open, e, false});
    }
    void update(const Episode& e) {
        if (!replaying()) out->events.push_back({EpisodeEventKind::update, e, false});
    }
    void close(Episode&& e) {
        if (!replaying()) out->events.push_back({EpisodeEventKind::close, e, false});
        closed->push_back(std::move(e));
    }
    void warn(Warning w) {
        w.late = detected_at - w.time > kLateDetection;
        warnings->push_back(w);
        if (!replaying()) out->warnings.push_back(w);
    }
    // Reminders are spoken in the cab: never for a late detection, never from a replay.
    void remind(Reminder r, Timestamp detected_since) {
        if (replaying() || detected_at - detected_since > kLateDetection) return;
        out->reminders.push_back(std::move(r));
    }
};

// An episode as a stage holds it: `final` when it is in the closed log (its close has been
// or is being reported), not final while the evaluator still holds it.
struct HeldEpisode {
    Episode episode;
    bool final = false;
};
struct HeldRef {
    Episode* episode = nullptr;
    bool final = false;
};

// Reports how `now` differs from `old` (both one entity's episodes from the replay point on):
// ids are carried over to matching episodes, new ones get fresh ids and late = true.
void diff_episodes(const std::vector<HeldEpisode>& old, const std::vector<HeldRef>& now,
                   Outputs& out, std::uint64_t& next_id);

struct StageLimits {
    Seconds horizon{std::chrono::hours{24}};
    std::size_t checkpoint_every = 64;
};

enum class AddResult : std::uint8_t { live, queued, duplicate, too_late };

template <class Eval>
class Stage {
public:
    using Input = typename Eval::Input;
    using State = typename Eval::State;
    using Context = typename Eval::Context;

    explicit Stage(StageLimits limits, State initial = State{}) : limits_(limits), state_(initial) {
        checkpoints_.push_back({0, 0, state_});
    }

    const State& state() const noexcept { return state_; }
    bool dirty() const noexcept { return dirty_.has_value(); }
    const std::deque<Input>& history() const noexcept { return history_; }

    AddResult add(const Input& in, Context& ctx, Recorder rec) {
        const Timestamp t = Eval::time_of(in);
        if (pruned_ && t <= pruned_until_) return AddResult::too_late;
        if (!history_.empty() && t + limits_.horizon < Eval::time_of(history_.back()))
            return AddResult::too_late;
        if (!dirty_ && (history_.empty() || Eval::slot_less(history_.back(), in))) {
            history_.push_back(in);  // the common case: newer than everything, judged now
            rec.closed = &closed_;
            rec.warnings = &warned_;
            Eval::step(state_, in, ctx, rec);
            after_step();
            return AddResult::live;
        }
        auto it = std::lower_bound(history_.begin(), history_.end(), in, Eval::slot_less);
        const auto pos = static_cast<std::size_t>(it - history_.begin());
        if (it != history_.end() && !Eval::slot_less(in, *it)) {  // same slot
            if (!Eval::preferred(in, *it)) return AddResult::duplicate;
            *it = in;
            mark_dirty(pos);
            return AddResult::queued;
        }
        if (it == history_.end() && !dirty_) {
            history_.push_back(in);
            rec.closed = &closed_;
            rec.warnings = &warned_;
            Eval::step(state_, in, ctx, rec);
            after_step();
            return AddResult::live;
        }
        history_.insert(it, in);
        mark_dirty(pos);
        return AddResult::queued;
    }

    // Removes the inputs at or after `from` (event time) that match `pred`; the caller then
    // adds their replacements.
    template <class Pred>
    void erase_if(Timestamp from, Pred pred) {
        const auto first = std::partition_point(history_.begin(), history_.end(), [&](const Input& in) {
            return Eval::time_of(in) < from;
        });
        const auto gone = std::find_if(first, history_.end(), pred);
        if (gone == history_.end()) return;
        mark_dirty(static_cast<std::size_t>(gone - history_.begin()));
        history_.erase(std::remove_if(gone, history_.end(), pred), history_.end());
    }

    // Replays from the last checkpoint before the first change, reports the differences.
    // `on_restore(const State&)` runs after the checkpoint is restored, before the replay.
    template <class OnRestore>
    void flush(Context& ctx, Outputs& out, std::uint64_t& next_id, OnRestore&& on_restore) {
        if (!dirty_) return;
        const std::size_t first = *dirty_ + base_;
        while (checkpoints_.size() > 1 && checkpoints_.back().index > first) checkpoints_.pop_back();
        const std::size_t cp_index = checkpoints_.back().index;
        const std::size_t cp_closed = checkpoints_.back().closed - closed_base_;

        std::vector<HeldEpisode> old;
        for (std::size_t i = cp_closed; i < closed_.size(); ++i) old.push_back({closed_[i], true});
        std::vector<Episode*> open;
        Eval::open_episodes(state_, open);
        for (Episode* e : open) old.push_back({*e, false});

        state_ = checkpoints_.back().state;
        closed_.resize(cp_closed);
        on_restore(static_cast<const State&>(state_));
        std::vector<Warning> found;
        Recorder rec{nullptr, &closed_, &found, &next_id, {}};
        for (std::size_t i = cp_index - base_; i < history_.size(); ++i) {
            rec.detected_at = Eval::detected_at(history_[i]);
            Eval::step(state_, history_[i], ctx, rec);
            if (base_ + i + 1 - checkpoints_.back().index >= limits_.checkpoint_every)
                checkpoints_.push_back({base_ + i + 1, closed_base_ + closed_.size(), state_});
        }
        dirty_.reset();

        std::vector<HeldRef> now;
        for (std::size_t i = cp_closed; i < closed_.size(); ++i) now.push_back({&closed_[i], true});
        open.clear();
        Eval::open_episodes(state_, open);
        for (Episode* e : open) now.push_back({e, false});
        diff_episodes(old, now, out, next_id);
        for (Warning& w : found) {
            const bool known = std::any_of(warned_.begin(), warned_.end(), [&](const Warning& k) {
                return k.driver == w.driver && k.time == w.time && k.night == w.night;
            });
            if (known) continue;
            w.late = true;
            warned_.push_back(w);
            out.warnings.push_back(w);
        }
        prune();
    }

    // Closed episodes still held, then the open ones.
    void collect(std::vector<Episode>& out) const {
        out.insert(out.end(), closed_.begin(), closed_.end());
        std::vector<Episode*> open;
        Eval::open_episodes(const_cast<State&>(state_), open);
        for (const Episode* e : open) out.push_back(*e);
    }

private:
    struct Checkpoint {
        std::size_t index = 0;   // absolute: the state after this many inputs
        std::size_t closed = 0;  // absolute size of the closed log then
        State state;
    };

    void mark_dirty(std::size_t pos) {
        dirty_ = dirty_ ? std::min(*dirty_, pos) : pos;
    }

    void after_step() {
        const std::size_t processed = base_ + history_.size();
        if (processed - checkpoints_.back().index >= limits_.checkpoint_every) {
            checkpoints_.push_back({processed, closed_base_ + closed_.size(), state_});
            prune();
        }
    }

    // Drops what is older than the horizon: inputs, checkpoints and closed episodes before the
    // newest checkpoint whose inputs are all older than (newest - horizon).
    void prune() {
        if (history_.empty()) return;
        const Timestamp cutoff = Eval::time_of(history_.back()) - limits_.horizon;
        std::size_t keep = 0;
        for (std::size_t k = 1; k < checkpoints_.size(); ++k) {
            const std::size_t idx = checkpoints_[k].index;
            if (idx <= base_) continue;
            if (Eval::time_of(history_[idx - base_ - 1]) < cutoff) keep = k;
            else break;
        }
        if (keep == 0) return;
        const Checkpoint& cp = checkpoints_[keep];
        const std::size_t drop = cp.index - base_;
        pruned_until_ = Eval::time_of(history_[drop - 1]);
        pruned_ = true;
        history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(drop));
        base_ = cp.index;
        const std::size_t drop_closed = cp.closed - closed_base_;
        closed_.erase(closed_.begin(), closed_.begin() + static_cast<std::ptrdiff_t>(drop_closed));
        closed_base_ = cp.closed;
        checkpoints_.erase(checkpoints_.begin(), checkpoints_.begin() + static_cast<std::ptrdiff_t>(keep));
        std::erase_if(warned_, [&](const Warning& w) { return w.time < cutoff; });
    }

    StageLimits limits_;
    std::deque<Input> history_;
    std::size_t base_ = 0;  // inputs pruned from the front
    std::deque<Checkpoint> checkpoints_;
    State state_;
    std::vector<Episode> closed_;
    std::size_t closed_base_ = 0;
    std::vector<Warning> warned_;
    std::optional<std::size_t> dirty_;  // first changed position in history_
    Timestamp pruned_until_{};
    bool pruned_ = false;
};

}  // namespace fleetwatch::rules::detail

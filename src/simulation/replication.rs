//! The data side of the simulation: semi-synchronous replication and its fallback, the
//! promotion rules and what each promotion loses, the cuts between a primary's site
//! and its copies, grey failures noticed by people, and the recovery scenarios of
//! Chapter 7 (see [`crate::data`] for the model and its limits).

use rand::Rng;

use super::*;

impl<R: Rng + ?Sized> Simulation<'_, R> {
    /// The group that takes a database's writes now (its primary site's deployment,
    /// after any switchover).
    pub(super) fn writer_group(&self, d: usize) -> Option<GroupId> {
        let service = &self.topology.services[self.topology.data[d].service];
        let site = self.site_map[service.primary_site?];
        service.by_site[self.topology.site_slot[site]]
    }

    fn member(&self, group: GroupId, k: usize) -> ElementId {
        self.topology.groups[group].members[k]
    }

    /// The primary of a database: its writer group and the active member.
    fn primary(&self, d: usize) -> Option<(GroupId, usize)> {
        let group = self.writer_group(d)?;
        Some((group, self.groups[group].active))
    }

    fn note_data(&mut self, database: usize, what: DataHappening) {
        self.note(Happening::Data { database, what });
    }

    /// Applies a fault of the data side.
    pub(super) fn data_fault(&mut self, i: usize, fault: DataFault) -> Option<Cause> {
        let (action, target, duration) = (
            self.drill.faults[i].action,
            self.drill.faults[i].target,
            self.drill.faults[i].duration,
        );
        let d = fault.database();
        self.dirty = Dirty { elements: true, members: true, shares: true };
        match fault {
            DataFault::Hang { .. } => {
                self.hung[target] = true;
                self.note(Happening::Fault { action, target });
                let is_primary = self.primary(d).is_some_and(|(g, k)| self.member(g, k) == target);
                if is_primary {
                    self.notice(d, Then::Failover);
                }
            }
            DataFault::LoseDisk { .. } => {
                self.failed[target] = true;
                self.fault_epochs[target] += 1;
                self.note(Happening::Fault { action, target });
                self.notice(d, Then::Restore(Scenario::DiskLost, 1.0));
            }
            DataFault::StopReplication { since, .. } => {
                self.stopped_since[target] = Some(self.now - since);
                self.stop_epochs[target] += 1;
                let what = DataHappening::ReplicationStopped { member: target, since };
                self.note_data(d, what);
                if let Some(duration) = duration {
                    let event =
                        DataEvent::Resume { member: target, epoch: self.stop_epochs[target] };
                    self.schedule(duration, Event::Data { database: d, event });
                }
            }
            DataFault::LoadSurge { .. } => {
                self.data[d].surges += 1;
                self.note_data(d, DataHappening::LoadSurge);
                if let Some(duration) = duration {
                    self.schedule(
                        duration,
                        Event::Data { database: d, event: DataEvent::SurgeOver },
                    );
                }
            }
            DataFault::Drop { share, .. } => {
                let state = &mut self.data[d];
                state.dropped = 1.0 - (1.0 - state.dropped) * (1.0 - share);
                self.note_data(d, DataHappening::Dropped { share });
                self.notice(d, Then::Restore(Scenario::PointInTime, share));
            }
        }
        None
    }

    /// A person takes the alert (alert, then the on-duty response) and acts.
    fn notice(&mut self, d: usize, then: Then) {
        let response = &self.topology.response;
        let delay = response.alert.sample(self.rng) + response.respond.sample(self.rng);
        self.schedule(delay, Event::Data { database: d, event: DataEvent::Noticed { then } });
    }

    pub(super) fn data_event(&mut self, d: usize, event: DataEvent) -> Option<Cause> {
        match event {
            DataEvent::SemiSyncTimeout { epoch } => {
                if self.data[d].stall_epoch != epoch || !self.data[d].stalled {
                    return None;
                }
                self.data[d].stalled = false;
                self.dirty.shares = true;
                self.note_data(d, DataHappening::SemiSyncFallback);
                Some(Cause::Mechanism(
                    self.topology.services[self.topology.data[d].service].mechanism,
                ))
            }
            DataEvent::Resume { member, epoch } => {
                if self.stop_epochs[member] != epoch {
                    return None;
                }
                // A replica promoted meanwhile is the primary now: it has nothing to
                // catch up from, and what it missed stays lost
                let promoted = self.primary(d).is_some_and(|(g, k)| self.member(g, k) == member);
                if promoted {
                    self.stopped_since[member] = None;
                    return None;
                }
                self.stopped_since[member] = None;
                self.dirty.shares = true;
                self.note_data(d, DataHappening::ReplicationResumed { member });
                Some(Cause::Restore)
            }
            DataEvent::SurgeOver => {
                self.data[d].surges = self.data[d].surges.saturating_sub(1);
                self.dirty.shares = true;
                self.note_data(d, DataHappening::LoadSurgeOver);
                Some(Cause::Restore)
            }
            DataEvent::Noticed { then } => self.noticed(d, then),
            DataEvent::ManualFailover { epoch } => {
                if self.data[d].manual_epoch != epoch || !self.data[d].manual_pending {
                    return None;
                }
                self.data[d].manual_pending = false;
                let (group, _) = self.primary(d)?;
                self.promote(d, group, true)
            }
            DataEvent::RestoreStep { step } => self.restore_step_done(d, step),
        }
    }

    fn noticed(&mut self, d: usize, then: Then) -> Option<Cause> {
        self.mark_detected();
        match then {
            Then::Failover => {
                let (group, k) = self.primary(d)?;
                let member = self.member(group, k);
                let writes_fail = self.hung[member] || !self.slot(group, k).seen_alive;
                if !writes_fail || self.data[d].manual_pending {
                    return None;
                }
                let why = "writes fail on the primary although its checks pass or its promotion \
                           was refused";
                self.note_data(d, DataHappening::Noticed { why });
                let delay = self.topology.data[d].manual_failover.sample(self.rng);
                let state = &mut self.data[d];
                state.manual_pending = true;
                state.manual_epoch += 1;
                let event = DataEvent::ManualFailover { epoch: state.manual_epoch };
                self.schedule(delay, Event::Data { database: d, event });
            }
            Then::Restore(scenario, share) => {
                let why = match scenario {
                    Scenario::PointInTime => {
                        "data dropped by mistake; restore it from the cold backup"
                    }
                    Scenario::Rebuild => "no replica can take over; rebuild the primary",
                    Scenario::DiskLost => "a disk is lost; rebuild its host",
                };
                self.note_data(d, DataHappening::Noticed { why });
                self.start_restore(d, scenario, share);
            }
        }
        None
    }

    /// Promotes the best replica of a database's writer group: the one that lost the
    /// least. Refused when it lags past the lag limit (unless a person decides); with no
    /// candidate, the primary must be rebuilt (scenario 2).
    pub(super) fn promote(&mut self, d: usize, group: GroupId, by_hand: bool) -> Option<Cause> {
        let active = self.groups[group].active;
        let down_at = self.data[d].writer_down_since.unwrap_or(self.now);
        self.dirty.shares = true;

        // Every candidate, with what it would lose
        let mut best: Option<(usize, f64, f64)> = None;
        for k in 0..self.topology.groups[group].members.len() {
            let member = self.member(group, k);
            if k == active
                || !self.usable(group, k)
                || !self.slot(group, k).seen_alive
                || self.hung[member]
            {
                continue;
            }
            let (lost, unacked) = self.candidate_loss(d, member, down_at, false);
            if best.is_none_or(|(_, b, _)| lost < b) {
                best = Some((k, lost, unacked));
            }
        }

        // None, one too far behind, or one promoted
        let mechanism = Cause::Mechanism(self.topology.groups[group].mechanism);
        let Some((k, lost, unacked)) = best else {
            self.groups[group].stuck = true;
            self.note(Happening::NoCandidate { group });
            self.notice(d, Then::Restore(Scenario::Rebuild, 1.0));
            return (!by_hand).then_some(mechanism);
        };
        let member = self.member(group, k);
        if !by_hand && self.topology.data[d].lag_limit.is_some_and(|limit| lost > limit) {
            self.groups[group].stuck = true;
            self.note_data(d, DataHappening::PromotionRefused { member, lag: lost });
            self.notice(d, Then::Failover);
            return None;
        }
        let state = &mut self.groups[group];
        state.active = k;
        state.stuck = false;
        state.takeover_pending = false;
        state.takeover_epoch += 1;
        self.slots[self.offsets[group] + active].in_rotation = false;
        self.note(Happening::TookOver { group, member });
        self.record_loss(d, member, lost, unacked, by_hand, false);
        Some(if by_hand { Cause::ManualPromotion } else { mechanism })
    }

    fn record_loss(
        &mut self,
        d: usize,
        member: ElementId,
        lost: f64,
        unacked: f64,
        by_hand: bool,
        cross_site: bool,
    ) {
        let loss = Loss { at: self.now, member, lost, unacked, by_hand, cross_site };
        self.data[d].run.losses.push(loss);
        self.data[d].writer_down_since = None;
        self.data[d].died_waiting = false;
        self.data[d].manual_pending = false;
        self.data[d].manual_epoch += 1;
        self.note_data(d, DataHappening::Promoted { member, lost, by_hand, cross_site });
    }

    /// What a candidate never received when the primary was lost at `down_at`
    /// \[seconds of writes\], and the time since the last acknowledged write.
    fn candidate_loss(
        &mut self,
        d: usize,
        member: ElementId,
        down_at: f64,
        cross_site: bool,
    ) -> (f64, f64) {
        let database = &self.topology.data[d];
        let committed_until = self.committed_until(d, down_at);
        if let Some(since) = self.stopped_since[member] {
            let lost = (committed_until - since).max(0.0);
            return (lost, if cross_site { f64::INFINITY } else { lost });
        }
        if cross_site {
            let site = self.topology.elements[member].site;
            let cut = site.and_then(|s| self.data[d].cut_since[self.topology.site_slot[s]]);
            let cut_for = cut.map_or(0.0, |c| (committed_until - c).max(0.0));
            return (cut_for + database.remote_lag.sample(self.rng), f64::INFINITY);
        }
        match self.data[d].unacked_since {
            None => (0.0, 0.0),
            Some(since) => {
                let unacked = (committed_until - since).max(0.0);
                (database.replica_lag.sample(self.rng).min(unacked), unacked)
            }
        }
    }

    /// The time of the last committed write of a primary lost at `down_at`: the last
    /// acknowledged write when it died with its writes waiting for an acknowledgement
    /// (none of them was committed), else `down_at`.
    fn committed_until(&self, d: usize, down_at: f64) -> f64 {
        let state = &self.data[d];
        match state.unacked_since {
            Some(since) if state.died_waiting => since.min(down_at),
            _ => down_at,
        }
    }

    /// A switchover moved a database's writes to another site: its copy there becomes
    /// the primary with what it had received.
    pub(super) fn writer_moved(&mut self, d: usize) {
        let Some((group, k)) = self.primary(d) else { return };
        let down_at = self.data[d].writer_down_since.unwrap_or(self.now);
        let member = self.member(group, k);
        let (lost, unacked) = self.candidate_loss(d, member, down_at, true);
        self.record_loss(d, member, lost, unacked, false, true);
        let state = &mut self.data[d];
        state.unacked_since = None;
        state.stalled = false;
        state.stall_epoch += 1;
        state.cut_since.fill(None);
    }

    /// Notices the primary going down and semi-sync losing or regaining its
    /// acknowledgements: with none, writes wait for the timeout, then replication is
    /// asynchronous.
    pub(super) fn watch_replication(&mut self, d: usize) {
        let Some((group, active)) = self.primary(d) else { return };
        let primary = self.member(group, active);
        let primary_up = self.alive[primary] && !self.hung[primary];
        let state = &mut self.data[d];
        if !primary_up {
            if state.writer_down_since.is_some() {
                return;
            }
            state.writer_down_since = Some(self.now);

            // Lost while writes wait: none committed, and no timeout to fall back on
            if state.stalled {
                state.stalled = false;
                state.stall_epoch += 1;
                state.died_waiting = true;
                self.note_data(d, DataHappening::LostWaiting);
            }
            return;
        }
        state.writer_down_since = None;
        state.died_waiting = false;

        // The latest acknowledgement any replica can still give
        let surge = self.data[d].surges > 0;
        let mut acking = false;
        let mut last_ack = f64::NEG_INFINITY;
        for k in (0..self.topology.groups[group].members.len()).filter(|&k| k != active) {
            let member = self.member(group, k);
            if !self.usable(group, k) {
                continue;
            }
            let replicating = self.alive[member] && !self.hung[member];
            match self.stopped_since[member] {
                Some(since) => last_ack = last_ack.max(since),
                None if replicating && !surge => acking = true,
                None => last_ack = self.now,
            }
        }

        // Acknowledged, waiting, or asynchronous
        let state = &mut self.data[d];
        if acking {
            if state.unacked_since.take().is_some() {
                state.stalled = false;
                state.stall_epoch += 1;
                self.note_data(d, DataHappening::SemiSyncBack);
            }
            return;
        }
        if state.unacked_since.is_some() || last_ack == f64::NEG_INFINITY {
            return;
        }
        state.unacked_since = Some(last_ack);
        let timeout = self.topology.data[d].semi_sync_timeout;
        if self.now - last_ack >= timeout {
            self.note_data(d, DataHappening::SemiSyncFallback);
            return;
        }
        state.stalled = true;
        state.stall_epoch += 1;
        let event = DataEvent::SemiSyncTimeout { epoch: state.stall_epoch };
        self.schedule(last_ack + timeout - self.now, Event::Data { database: d, event });
        self.note_data(d, DataHappening::SemiSyncWaiting);
    }

    /// Follows the cuts between the primary's site and each other site holding a copy
    /// (by the declared route from that site), and closes those that healed.
    pub(super) fn watch_cuts(&mut self, d: usize) {
        let Some((group, _)) = self.primary(d) else { return };
        let Some(writer_site) = self.topology.groups[group].site else { return };
        let service = &self.topology.services[self.topology.data[d].service];
        for &(site, _) in &service.deployments {
            if site == writer_site || !self.topology.routes.contains_key(&(site, writer_site)) {
                continue;
            }
            let slot = self.topology.site_slot[site];
            // A site whose traffic moved away takes no writes, even from a promoted copy
            let serves = self.site_map[site] == site;
            let cut = self.alive[site] && serves && self.route_success(site, writer_site) == 0.0;
            match (cut, self.data[d].cut_since[slot]) {
                (true, None) => self.data[d].cut_since[slot] = Some(self.now),
                (false, Some(since)) => {
                    self.data[d].cut_since[slot] = None;
                    self.expose(d, since);
                }
                _ => {}
            }
        }
    }

    /// Closes every open cut, at the horizon: their exposure counts too.
    pub(super) fn close_cuts(&mut self, d: usize, expose: bool) {
        for slot in 0..self.data[d].cut_since.len() {
            if let Some(since) = self.data[d].cut_since[slot].take()
                && expose
            {
                self.expose(d, since);
            }
        }
    }

    /// A cut from `since` to now, while the old primary lived: had an automatic
    /// cross-site failover been allowed, it would have promoted the far copy after the
    /// median detection plus promotion, and both sides would have taken writes until
    /// now.
    fn expose(&mut self, d: usize, since: f64) {
        let Some((group, active)) = self.primary(d) else { return };
        let primary = self.member(group, active);
        if !self.alive[primary] || self.hung[primary] {
            return;
        }
        let MechanismKind::ReplicatedDb { check, promotion } = self.kind(group) else { return };
        let (low, high) = check.bounds();
        let takes = (low + high) / 2.0 + promotion.median();
        self.data[d].run.split_brain += (self.now - since - takes).max(0.0);
    }

    /// Starts a recovery scenario, unless one already runs for this database.
    fn start_restore(&mut self, d: usize, scenario: Scenario, share: f64) {
        if self.data[d].run.restore.is_some() {
            return;
        }
        let plan = self.topology.data[d].plan(scenario, share, 0.0, self.rng);
        self.data[d].run.restore = Some(RestoreRun {
            scenario,
            started: self.now,
            steps: Vec::new(),
            done: None,
            backup_age: plan.backup_age,
            planned: plan.steps,
        });
        self.note_data(d, DataHappening::RestoreStarted { scenario });
        self.start_restore_step(d, 0);
    }

    /// Schedules the end of a step; reconciliation also re-applies every operation the
    /// promotions lost.
    fn start_restore_step(&mut self, d: usize, step: usize) {
        let lost_tx = self.topology.data[d].transactions(self.data[d].run.lost());
        let replay = self.topology.data[d].restore.replay_tx_s;
        let Some(run) = self.data[d].run.restore.as_mut() else { return };
        let (what, mut duration) = run.planned[step];
        if what == RestoreStep::Reconcile {
            duration += lost_tx / replay;
        }
        run.steps.push((what, duration));
        self.schedule(
            duration,
            Event::Data { database: d, event: DataEvent::RestoreStep { step } },
        );
    }

    fn restore_step_done(&mut self, d: usize, step: usize) -> Option<Cause> {
        let run = self.data[d].run.restore.as_ref()?;
        let (scenario, (what, _), steps) = (run.scenario, run.planned[step], run.planned.len());
        self.note_data(d, DataHappening::RestoreStep { scenario, step: what });
        if step + 1 < steps {
            self.start_restore_step(d, step + 1);
            return None;
        }

        // Done: the data is back, or the host rebuilt
        if let Some(run) = self.data[d].run.restore.as_mut() {
            run.done = Some(self.now);
        }
        self.note_data(d, DataHappening::Restored { scenario });
        self.dirty = Dirty { elements: true, members: true, shares: true };
        match scenario {
            Scenario::PointInTime => self.data[d].dropped = 0.0,
            Scenario::Rebuild | Scenario::DiskLost => {
                let lost = self.drill.faults.iter().filter(|f| f.action == Action::LoseDisk);
                let rebuilt: Vec<ElementId> = lost.map(|f| f.target).collect();
                let primary = self.primary(d).map(|(g, k)| self.member(g, k));
                let hosts = if scenario == Scenario::Rebuild {
                    primary.into_iter().collect()
                } else {
                    rebuilt
                };
                for host in hosts {
                    self.failed[host] = false;
                    self.fault_epochs[host] += 1;
                }
            }
        }
        Some(Cause::DataRecovery)
    }
}

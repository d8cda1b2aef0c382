//! Building a pool's population at t=0: tenants, users, devices and their first polls.

use super::*;

impl<'a> PoolSim<'a, Quiet> {
    /// Builds pool `pool`'s population at t=0 and schedules its first events.
    pub fn new(sc: &'a Scenario, plan: &Plan, streams: Streams, pool: u32) -> Self {
        PoolSim::with_observer(sc, plan, streams, pool, Quiet)
    }
}

impl<'a, O: Observer> PoolSim<'a, O> {
    /// As [`PoolSim::new`], telling `observer` every request and control
    /// step as it happens (a load generator's schedule).
    pub fn with_observer(sc: &'a Scenario, plan: &Plan, streams: Streams, pool: u32, observer: O) -> Self {
        let horizon = sc.horizon;
        let ev = &sc.evaluator;
        let mut sim = PoolSim {
            sc,
            streams,
            pool,
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            rng: streams.stream(Purpose::Pool, pool as u64, 0),
            tenants: Vec::new(),
            users: Vec::new(),
            hot: Vec::new(),
            devices: Vec::new(),
            eval: Evaluator::new(ev.servers, ev.service_time.clone(), ev.queue_timeout, horizon),
            counters: Counters::default(),
            delays: SyncDelays::new(horizon.0),
            series: TimeSeries::new(sc.bucket_count()),
            waits: WaitRecorder::default(),
            bucket: 0,
            bucket_end: sc.bucket,
            quarantined: 0,
            blocked: 0,
            scratch: Vec::new(),
            more_episodes: HashMap::new(),
            clocked: clocked::Clocked::new(sc, plan),
            observer,
        };
        let pools = ev.pools as usize;
        for t in (pool as usize..plan.tenants.len()).step_by(pools) {
            sim.add_tenant(plan, t);
        }
        sim
    }

    pub(super) fn add_tenant(&mut self, plan: &Plan, t: usize) {
        let sc = self.sc;
        let tp = plan.tenants[t];
        let g = &sc.groups[tp.group as usize];
        let policy = if tp.mdm { Policy::Unmanaged } else { g.policy };
        let local = self.tenants.len() as u32;
        let mut rng = self.streams.stream(Purpose::Population, t as u64, 0);
        let users = g.users.sample(&mut rng);
        let devices_per_user = g.devices_per_user.sampler();
        let rate_per_user = g.activations_per_user_day + g.readds_per_user_day;
        self.tenants.push(Tenant {
            global: t as u32,
            policy,
            first_user: self.users.len() as u32,
            users,
            devices_made: 0,
            arrivals: 0,
            wave_epoch: 0,
            arrival_rate: users as f64 * rate_per_user / DAY_US,
            activation_share: if rate_per_user > 0.0 {
                g.activations_per_user_day / rate_per_user
            } else {
                0.0
            },
            third_party_share: g.third_party_share,
            group: tp.group,
            clock: tp.clock,
        });
        self.counters.tenants += 1;
        self.counters.users += users as u64;
        self.counters.mdm_tenants += tp.mdm as u64;
        for _ in 0..users {
            let user = self.users.len() as u32;
            self.users.push(User {
                first_device: NONE,
                devices: 0,
            });
            let n = devices_per_user.sample(&mut rng);
            for _ in 0..n {
                let app = if rng.r#gen::<f64>() < g.third_party_share {
                    App::ThirdParty
                } else {
                    App::Outlook
                };
                // A policy in force at t=0 has been in force long enough that
                // existing third-party devices were prompted, or blocked, long ago.
                let state = State::of(decide::configured_connection(app, policy));
                // Polling is already in its steady state for the interval that applies.
                let interval = match state {
                    State::Active => &sc.devices.poll_interval,
                    _ => &sc.devices.quarantined_poll_interval,
                };
                let first_poll = interval.sample_residual(&mut rng);
                let device = self.add_device(local, user);
                let first_poll = self.first_poll(device, app, first_poll);
                let d = &mut self.devices[device as usize];
                if decide::configured_counts_as_prompted(app, policy) {
                    d.flags |= PROMPTED;
                }
                if app == App::Outlook {
                    d.flags |= CURRENT_OUTLOOK;
                }
                self.hot[device as usize].conn[app.slot()].state = state;
                self.blocked += (state == State::Blocked) as u64;
                self.counters.connections_initial += 1;
                self.schedule(
                    first_poll,
                    Event::Poll {
                        device,
                        slot: app as u8,
                        generation: 0,
                    },
                );
            }
        }
        let rate = self.tenants[local as usize].arrival_rate;
        if rate > 0.0 {
            let mut rng = self.streams.stream(Purpose::Arrival, t as u64, 0);
            let first = self.arrival_after(local, SimTime::ZERO, &mut rng, rate);
            self.schedule(first, Event::Arrival { tenant: local });
        }
        for (j, change) in g.changes.iter().enumerate() {
            if plan.in_change(sc, t, change.share) {
                if tp.mdm {
                    self.counters.changes_ignored_mdm += 1;
                } else {
                    self.queue.push(
                        self.change_time(local, j, change.at),
                        Event::Change {
                            tenant: local,
                            change: j as u16,
                        },
                    );
                }
            }
        }
    }

    pub(super) fn add_device(&mut self, local: u32, user: u32) -> u32 {
        let device = self.devices.len() as u32;
        let tenant = &mut self.tenants[local as usize];
        let uid = tenant.devices_made;
        tenant.devices_made += 1;
        let u = &mut self.users[user as usize];
        self.hot.push(Hot {
            tenant: local,
            conn: [Conn {
                generation: 0,
                state: State::Empty,
            }; 2],
            episodes: 0,
        });
        self.devices.push(Device {
            episode_start: [SimTime::ZERO; 2],
            next: u.first_device,
            uid,
            flow: 0,
            flags: 0,
            episode_cell: [0; 2],
            mode: 0,
        });
        u.first_device = device;
        u.devices += 1;
        self.draw_mode(device);
        device
    }
}

//! Building a pool's population at t=0, with the per-connection engine's
//! draws: the same tenants, users, devices and apps for the same seed.

use super::*;
use rand::{RngCore, SeedableRng};

/// Consumes what `dist.sample_residual` would from `rng`, without the
/// logarithm when the draw is an exponential's single uniform.
fn skip_residual(dist: &Dist, rng: &mut ChaCha8Rng) {
    match dist {
        Dist::Exponential { .. } => {
            let _u: f64 = rng.r#gen();
        }
        _ => {
            let _ = dist.sample_residual(rng);
        }
    }
}

impl<'a> FleetSim<'a> {
    /// Builds pool `pool`'s population at t=0 and schedules its first events.
    pub fn new(sc: &'a Scenario, plan: &Plan, streams: Streams, pool: u32) -> Self {
        let horizon = sc.horizon;
        let ev = &sc.evaluator;
        let mut sim = FleetSim {
            sc,
            streams,
            pool,
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            rng: {
                let mut seed = [0u8; 32];
                streams.stream(Purpose::Fleet, pool as u64, 0).fill_bytes(&mut seed);
                Xoshiro256PlusPlus::from_seed(seed)
            },
            tenants: Vec::new(),
            tenant_first: Vec::new(),
            tenant_block: Vec::new(),
            state: Vec::new(),
            flow: Vec::new(),
            tracks: Default::default(),
            activated: Vec::new(),
            initial: 0,
            users: users::Users::default(),
            user_activated: DeviceMap::default(),
            quiet: quiet::Quiet::new(sc),
            servers: Servers::new(ev.servers, ev.service_time.clone(), ev.queue_timeout, horizon),
            counters: Counters::default(),
            delays: SyncDelays::new(horizon.0),
            series: TimeSeries::new(sc.bucket_count()),
            waits: WaitRecorder::default(),
            later_waits: Vec::new(),
            bucket: 0,
            bucket_end: sc.bucket,
            quarantined: 0,
            blocked: 0,
            more_episodes: DeviceMap::default(),
            in_flight: Default::default(),
            joined: Default::default(),
            join_order: Default::default(),
        };
        let pools = ev.pools as usize;
        for t in (pool as usize..plan.tenants.len()).step_by(pools) {
            sim.add_tenant(plan, t);
        }
        sim.users.finish();
        sim.tenants = memory::to_huge_pages(std::mem::take(&mut sim.tenants));
        sim.tenant_first = sim.tenants.iter().map(|t| t.first_device).collect();
        let blocks = (sim.state.len() as u32).div_ceil(1 << TENANT_BLOCK);
        sim.tenant_block = (0..blocks)
            .map(|b| {
                let first = b << TENANT_BLOCK;
                sim.tenant_first.partition_point(|&f| f <= first) as u32 - 1
            })
            .collect();
        sim.initial = sim.state.len() as u32;
        // Room for the devices activated during the run, as their expected count.
        let spare = sim.expected_activations();
        sim.state = memory::huge_page_vec(&sim.state, spare);
        sim.flow = memory::huge_page_filled(sim.state.len(), spare, 0);
        sim.schedule_individual_first_polls();
        sim
    }

    /// How many devices the pool's tenants are expected to activate by the
    /// horizon: room to keep in the devices' arrays.
    fn expected_activations(&self) -> usize {
        let horizon = self.sc.horizon.0 as f64;
        let mean: f64 = self
            .tenants
            .iter()
            .map(|t| t.arrival_rate * t.activation_share * horizon)
            .sum();
        mean.ceil() as usize
    }

    fn add_tenant(&mut self, plan: &Plan, t: usize) {
        let sc = self.sc;
        let tp = plan.tenants[t];
        let g = &sc.groups[tp.group as usize];
        let policy = if tp.mdm { Policy::Unmanaged } else { g.policy };
        let managed = policy != Policy::Unmanaged;
        let local = self.tenants.len() as u32;
        // The per-connection engine's population stream, drawn in its order.
        let mut rng = self.streams.stream(Purpose::Population, t as u64, 0);
        let users = g.users.sample(&mut rng);
        let devices_per_user = g.devices_per_user.sampler();
        let rate_per_user = g.activations_per_user_day + g.readds_per_user_day;
        let first_device = self.state.len() as u32;
        let first_user = self.tenants.last().map_or(0, |p: &Tenant| p.first_user + p.users);
        for _ in 0..users {
            let n = devices_per_user.sample(&mut rng);
            self.users.push_user(n);
            for _ in 0..n {
                let app = if rng.r#gen::<f64>() < g.third_party_share {
                    App::ThirdParty
                } else {
                    App::Outlook
                };
                // A policy in force at t=0 has been in force long enough that
                // existing third-party devices were prompted, or blocked, long ago.
                let state = match (app, policy) {
                    (App::ThirdParty, Policy::OutlookOnly) => State::Blocked,
                    _ => State::Active,
                };
                // The first poll's draw keeps the stream in step; a quiet
                // connection's first poll is its class stream's business.
                skip_residual(self.interval(state), &mut rng);
                let mut bits = match app {
                    App::Outlook => OUTLOOK,
                    App::ThirdParty => state as u8,
                };
                if app == App::ThirdParty && policy.prompts() {
                    bits |= PROMPTED;
                }
                self.state.push(bits);
                self.blocked += (state == State::Blocked) as u64;
                self.counters.connections_initial += 1;
                if self.quiet.joinable[state.class()] {
                    self.quiet.count[managed as usize][state.class()] += 1;
                }
            }
        }
        let devices = self.state.len() as u32 - first_device;
        self.tenants.push(Tenant {
            global: t as u32,
            policy,
            first_user,
            users,
            first_device,
            initial_devices: devices,
            devices_made: devices,
            activated: Vec::new(),
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
            managed_switches: Vec::new(),
            last_managed_switch: SimTime::ZERO,
            wave: None,
        });
        self.counters.tenants += 1;
        self.counters.users += users as u64;
        self.counters.mdm_tenants += tp.mdm as u64;
        let rate = self.tenants[local as usize].arrival_rate;
        if rate > 0.0 {
            let first = ArrivalDraws::first_gap(&self.streams, t as u32, rate);
            self.schedule(first, Event::Arrival { tenant: local });
        }
        for (j, change) in g.changes.iter().enumerate() {
            if plan.in_change(sc, t, change.share) {
                if tp.mdm {
                    self.counters.changes_ignored_mdm += 1;
                } else {
                    self.queue.push(
                        change.at,
                        Event::Change {
                            tenant: local,
                            change: j as u16,
                        },
                    );
                }
            }
        }
    }

    /// Connections at t=0 whose interval is not exponential cannot be
    /// quiet: each polls on its own, from its residual life, drawn again
    /// from the population stream so that it is the per-connection engine's.
    fn schedule_individual_first_polls(&mut self) {
        if self.quiet.joinable == [true, true] {
            return;
        }
        for local in 0..self.tenants.len() {
            let (t, first, n) = {
                let tn = &self.tenants[local];
                (tn.global, tn.first_device, tn.initial_devices)
            };
            let g = &self.sc.groups[self.tenants[local].group as usize];
            let mut rng = self.streams.stream(Purpose::Population, t as u64, 0);
            let _users = g.users.sample(&mut rng);
            let devices_per_user = g.devices_per_user.sampler();
            let mut device = first;
            while device < first + n {
                let devices_of_user = devices_per_user.sample(&mut rng);
                for _ in 0..devices_of_user {
                    let _app: f64 = rng.r#gen();
                    let bits = self.state[device as usize];
                    let slot = if bits & OUTLOOK != 0 {
                        App::Outlook.slot()
                    } else {
                        App::ThirdParty.slot()
                    };
                    let state = slot_bits(bits, slot);
                    let first_poll = self.interval(state).sample_residual(&mut rng);
                    if !self.quiet.joinable[state.class()] {
                        self.ensure_tracked(device).flags |= INDIVIDUAL << slot;
                        self.schedule_pending(
                            device,
                            first_poll,
                            Event::Poll {
                                device,
                                slot: slot as u8,
                                generation: 0,
                            },
                        );
                    }
                    device += 1;
                }
            }
        }
    }
}

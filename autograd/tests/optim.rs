//! Optimizers, schedules and clipping against hand-derived PyTorch update rules.

use autograd::optim::{
    grad_norm, optimizer, Adagrad, AdagradConfig, Adam, AdamConfig, OptimConfig, RmsProp,
    RmsPropConfig, Sgd, SgdConfig, OPTIMIZER_NAMES,
};
use autograd::{
    clip_grad_norm, clip_grad_value, Element, Error, Optimizer, ParamId, ParamStore, Schedule,
    Tensor,
};

/// A store holding one parameter `w` with the given values.
fn store_with(w: &[f64]) -> (ParamStore<f64>, ParamId) {
    let mut store = ParamStore::new();
    let id = store.add("w", Tensor::from_f64(&[w.len()], w));
    (store, id)
}

/// Sets the gradient of `id` to the given values.
fn set_grad<E: Element>(store: &mut ParamStore<E>, id: ParamId, g: &[f64]) {
    let shape = store.value(id).shape().to_vec();
    store.get_mut(id).grad = Some(Tensor::from_f64(&shape, g));
}

/// Sets the gradient of f(w) = Σ(w − c)², i.e. 2(w − c).
fn set_quadratic_grad<E: Element>(store: &mut ParamStore<E>, id: ParamId, c: &[f64]) {
    let w = store.value(id).to_f64_vec();
    let g: Vec<f64> = w.iter().zip(c).map(|(w, c)| 2.0 * (w - c)).collect();
    set_grad(store, id, &g);
}

/// Runs `steps` steps with a fixed gradient and returns the final values.
fn run_fixed_grad(opt: &mut dyn Optimizer<f64>, w0: &[f64], g: &[f64], steps: usize) -> Vec<f64> {
    let (mut store, id) = store_with(w0);
    for _ in 0..steps {
        set_grad(&mut store, id, g);
        opt.step(&mut store);
    }
    store.value(id).to_f64_vec()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol,
            "element {i}: got {g}, want {w} (tol {tol}); got {got:?}"
        );
    }
}

#[test]
fn sgd_plain_step_is_w_minus_lr_g() {
    let mut opt = Sgd::new(SgdConfig::default().lr(0.1)).unwrap();
    let w = run_fixed_grad(&mut opt, &[1.0, -1.0], &[0.5, -2.0], 1);
    assert_close(&w, &[0.95, -0.8], 1e-15);
}

#[test]
fn sgd_momentum_with_dampening_three_steps() {
    // torch: buf₁ = g (no dampening on the first step), bufₜ = 0.9·buf + 0.5·g.
    // buf = g, 1.4g, 1.76g, so w₃ = w₀ − 0.1·(1 + 1.4 + 1.76)·g = w₀ − 0.416·g.
    let cfg = SgdConfig::default().lr(0.1).momentum(0.9).dampening(0.5);
    let mut opt = Sgd::new(cfg).unwrap();
    let w = run_fixed_grad(&mut opt, &[1.0, 0.0], &[1.0, -2.0], 3);
    assert_close(&w, &[1.0 - 0.416, 0.832], 1e-12);
}

#[test]
fn sgd_nesterov_three_steps() {
    // buf = g, 1.9g, 2.71g; the step uses g + 0.9·buf = 1.9g, 2.71g, 3.439g (sum 8.049g).
    let cfg = SgdConfig::default().lr(0.1).momentum(0.9).nesterov(true);
    let mut opt = Sgd::new(cfg).unwrap();
    let w = run_fixed_grad(&mut opt, &[1.0, 0.0], &[1.0, -2.0], 3);
    assert_close(&w, &[1.0 - 0.8049, 1.6098], 1e-12);
}

#[test]
fn sgd_weight_decay_is_added_to_the_gradient() {
    let mut opt = Sgd::new(SgdConfig::default().lr(0.1).weight_decay(0.5)).unwrap();
    let w = run_fixed_grad(&mut opt, &[2.0], &[0.0], 1);
    assert_close(&w, &[1.9], 1e-15);
}

#[test]
fn sgd_rejects_nesterov_without_momentum_or_with_dampening() {
    let bad = [
        SgdConfig::default().nesterov(true),
        SgdConfig::default()
            .nesterov(true)
            .momentum(0.9)
            .dampening(0.1),
        SgdConfig::default().lr(-1.0),
    ];
    for cfg in bad {
        assert!(matches!(Sgd::<f64>::new(cfg), Err(Error::Config(_))));
    }
}

#[test]
fn adam_first_step_moves_each_weight_by_lr_times_sign_of_grad() {
    let g = [3.0, -0.001, 250.0, -7.5];
    let mut opt = Adam::new(AdamConfig::default().lr(0.01)).unwrap();
    let w = run_fixed_grad(&mut opt, &[0.0; 4], &g, 1);
    let want: Vec<f64> = g.iter().map(|g| -0.01 * g.signum()).collect();
    assert_close(&w, &want, 1e-7);
}

#[test]
fn adamw_decay_is_decoupled_while_adam_decay_goes_through_the_moments() {
    // Zero gradient, w = 1, lr 0.1, wd 0.2.
    // Adam: g' = 0.2·w, so the first step moves w by lr·sign(g') = 0.1 → 0.9.
    // AdamW: w ← w·(1 − 0.1·0.2) = 0.98, and the moments stay zero → no further move.
    let adam = AdamConfig::default().lr(0.1).weight_decay(0.2);
    let adamw = AdamConfig::adamw().lr(0.1).weight_decay(0.2);
    let w_adam = run_fixed_grad(&mut Adam::new(adam).unwrap(), &[1.0], &[0.0], 1);
    let w_adamw = run_fixed_grad(&mut Adam::new(adamw).unwrap(), &[1.0], &[0.0], 1);
    assert_close(&w_adam, &[0.9], 1e-7);
    assert_close(&w_adamw, &[0.98], 1e-15);
}

#[test]
fn adamw_defaults_match_pytorch() {
    let cfg = AdamConfig::adamw();
    assert_eq!(cfg.weight_decay, 0.01);
    assert!(cfg.decoupled_weight_decay);
    assert_eq!((cfg.lr, cfg.betas, cfg.eps), (1e-3, (0.9, 0.999), 1e-8));
    assert_eq!(AdamConfig::default().weight_decay, 0.0);
    assert!(Adam::<f32>::new(AdamConfig::default().betas((0.9, 1.0))).is_err());
}

#[test]
fn rmsprop_two_steps() {
    // alpha 0.9, eps 0, g = 2: s₁ = 0.1·4 = 0.4, s₂ = 0.9·0.4 + 0.4 = 0.76; Δw = −lr·g/√s.
    let cfg = RmsPropConfig::default().alpha(0.9).eps(0.0);
    let w = run_fixed_grad(&mut RmsProp::new(cfg).unwrap(), &[1.0], &[2.0], 2);
    let want = 1.0 - 0.01 * 2.0 / 0.4f64.sqrt() - 0.01 * 2.0 / 0.76f64.sqrt();
    assert_close(&w, &[want], 1e-14);
}

#[test]
fn rmsprop_centered_with_momentum_two_steps() {
    // alpha 0.5, momentum 0.5, eps 0, g = 2: s = 2, 3; ḡ = 1, 1.5; avg = √(s − ḡ²) = 1, √0.75;
    // buf₁ = g/avg = 2, buf₂ = 0.5·2 + 2/√0.75; Δw = −lr·buf.
    let cfg = RmsPropConfig::default()
        .lr(0.1)
        .alpha(0.5)
        .eps(0.0)
        .momentum(0.5)
        .centered(true);
    let w = run_fixed_grad(&mut RmsProp::new(cfg).unwrap(), &[0.0], &[2.0], 2);
    let buf2 = 1.0 + 2.0 / 0.75f64.sqrt();
    assert_close(&w, &[-0.1 * 2.0 - 0.1 * buf2], 1e-14);
}

#[test]
fn adagrad_two_steps_with_lr_decay_and_initial_accumulator() {
    // sum = 1 + 4 = 5, then 9; clr = 0.1, then 0.1/(1 + 0.5); Δw = −clr·g/√sum.
    let cfg = AdagradConfig::default()
        .lr(0.1)
        .lr_decay(0.5)
        .initial_accumulator_value(1.0)
        .eps(0.0);
    let w = run_fixed_grad(&mut Adagrad::new(cfg).unwrap(), &[1.0], &[2.0], 2);
    let want = 1.0 - 0.1 * 2.0 / 5f64.sqrt() - (0.1 / 1.5) * 2.0 / 3.0;
    assert_close(&w, &[want], 1e-14);
}

/// Three steps on f(w) = Σ(w − c)² from w₀; the final weights.
fn quadratic_trajectory(opt: &mut dyn Optimizer<f64>, steps: usize) -> Vec<f64> {
    let c = [0.3, 0.1, -0.4];
    let (mut store, id) = store_with(&[1.0, -2.0, 0.5]);
    for _ in 0..steps {
        set_quadratic_grad(&mut store, id, &c);
        opt.step(&mut store);
    }
    store.value(id).to_f64_vec()
}

#[test]
fn three_steps_match_pytorch() {
    // Expected values came from torch 2.x (float64), same w₀, c and settings, 3 steps.
    let cases: Vec<(Box<dyn Optimizer<f64>>, [f64; 3])> = vec![
        (
            Box::new(
                Sgd::new(
                    SgdConfig::default()
                        .lr(0.1)
                        .momentum(0.9)
                        .dampening(0.1)
                        .weight_decay(0.01),
                )
                .unwrap(),
            ),
            [
                0.36514823178999994,
                -0.09994719017999994,
                -0.3127003132050001,
            ],
        ),
        (
            Box::new(
                Sgd::new(
                    SgdConfig::default()
                        .lr(0.1)
                        .momentum(0.9)
                        .nesterov(true)
                        .weight_decay(0.01),
                )
                .unwrap(),
            ),
            [0.220185053281, 0.33391423769800016, -0.4982737438495],
        ),
        (
            Box::new(
                Adam::new(
                    AdamConfig::default()
                        .lr(0.1)
                        .weight_decay(0.1)
                        .amsgrad(true),
                )
                .unwrap(),
            ),
            [0.7026555568540078, -1.7005882571232362, 0.2019150960924455],
        ),
        (
            Box::new(Adam::new(AdamConfig::adamw().lr(0.1).weight_decay(0.1)).unwrap()),
            [0.6764708102827385, -1.6443210674679463, 0.19011990946285312],
        ),
        (
            Box::new(
                RmsProp::new(
                    RmsPropConfig::default()
                        .lr(0.01)
                        .momentum(0.5)
                        .centered(true)
                        .weight_decay(0.1),
                )
                .unwrap(),
            ),
            [0.6773935697504513, -1.6638671735478618, 0.17325218208442209],
        ),
        (
            Box::new(
                Adagrad::new(
                    AdagradConfig::default()
                        .lr(0.1)
                        .lr_decay(0.1)
                        .weight_decay(0.1)
                        .initial_accumulator_value(0.2),
                )
                .unwrap(),
            ),
            [0.8043831798047592, -1.7917738837751584, 0.3002264210123298],
        ),
    ];
    for (mut opt, want) in cases {
        let name = opt.name();
        let got = quadratic_trajectory(opt.as_mut(), 3);
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{name}: got {got:?}, want {want:?}");
        }
    }
}

#[test]
fn every_optimizer_minimizes_a_quadratic() {
    let c = [0.5, -1.5, 3.0, 0.0];
    let cases: [(&str, f64); 5] = [
        ("sgd", 0.1),
        ("adam", 0.1),
        ("adamw", 0.1),
        ("rmsprop", 0.05),
        ("adagrad", 1.0),
    ];
    let steps = 500;
    let schedule = Schedule::cosine(steps, 0.0);
    for (name, base_lr) in cases {
        let mut opt = optimizer::<f32>(name, base_lr).unwrap();
        let mut store = ParamStore::<f32>::new();
        let id = store.add("w", Tensor::from_f64(&[4], &[2.0, 2.0, -2.0, 1.0]));
        for t in 0..steps {
            opt.set_lr(schedule.lr_at(base_lr, t));
            set_quadratic_grad(&mut store, id, &c);
            opt.step(&mut store);
        }
        let w = store.value(id).to_f64_vec();
        // AdamW's default decay pulls the minimum slightly towards zero.
        let tol = if name == "adamw" { 5e-2 } else { 1e-3 };
        for (w, c) in w.iter().zip(c) {
            assert!((w - c).abs() < tol, "{name}: w = {w}, c = {c}");
        }
    }
}

#[test]
fn params_without_grad_are_skipped_and_get_their_own_step_count() {
    let mut store = ParamStore::<f64>::new();
    let a = store.add("a", Tensor::from_f64(&[2], &[0.0, 0.0]));
    let b = store.add("b", Tensor::from_f64(&[1], &[5.0]));
    let mut opt = Adam::new(AdamConfig::default().lr(0.01)).unwrap();
    for _ in 0..3 {
        set_grad(&mut store, a, &[1.0, -1.0]);
        opt.step(&mut store);
    }
    assert_eq!(store.value(b).to_f64_vec(), vec![5.0]);
    let state = opt.state();
    assert_eq!(state.step, 3);
    assert_eq!(state.param_steps, vec![("a".to_string(), 3)]);
    assert!(state.tensors.iter().all(|(k, _)| k.ends_with(".a")));
    // b's first update is a first Adam step (its own bias correction): a move of lr.
    store.zero_grad();
    set_grad(&mut store, b, &[4.0]);
    opt.step(&mut store);
    assert_close(&store.value(b).to_f64_vec(), &[4.99], 1e-7);
    assert_close(&store.value(a).to_f64_vec(), &[-0.03, 0.03], 1e-6);
}

/// Every optimizer with every buffer switched on.
fn full_configs() -> Vec<OptimConfig> {
    vec![
        OptimConfig::Sgd(SgdConfig::default().lr(0.05).momentum(0.9).nesterov(true)),
        OptimConfig::Sgd(SgdConfig::default().lr(0.05).momentum(0.5).dampening(0.3)),
        OptimConfig::Adam(
            AdamConfig::default()
                .lr(0.01)
                .amsgrad(true)
                .weight_decay(0.1),
        ),
        OptimConfig::Adam(AdamConfig::adamw().lr(0.01)),
        OptimConfig::RmsProp(RmsPropConfig::default().momentum(0.5).centered(true)),
        OptimConfig::Adagrad(AdagradConfig::default().lr_decay(0.01).lr(0.1)),
    ]
}

/// A two-parameter f32 store and a step that sets quadratic gradients.
fn two_param_store() -> (ParamStore<f32>, [ParamId; 2]) {
    let mut store = ParamStore::new();
    let a = store.add("enc.w", Tensor::from_f64(&[2, 2], &[1.0, -1.0, 0.5, 2.0]));
    let b = store.add("enc.b", Tensor::from_f64(&[3], &[0.1, 0.2, -0.3]));
    (store, [a, b])
}

fn quadratic_step(opt: &mut dyn Optimizer<f32>, store: &mut ParamStore<f32>, ids: [ParamId; 2]) {
    set_quadratic_grad(store, ids[0], &[0.0, 1.0, 2.0, 3.0]);
    set_quadratic_grad(store, ids[1], &[-1.0, 0.0, 1.0]);
    opt.step(store);
}

#[test]
fn exported_state_resumes_bit_identically() {
    let n = 7;
    for cfg in full_configs() {
        let (mut straight, straight_ids) = two_param_store();
        let mut opt = cfg.build::<f32>().unwrap();
        for _ in 0..2 * n {
            quadratic_step(opt.as_mut(), &mut straight, straight_ids);
        }

        let (mut resumed, ids) = two_param_store();
        let mut first = cfg.build::<f32>().unwrap();
        for _ in 0..n {
            quadratic_step(first.as_mut(), &mut resumed, ids);
        }
        let saved = first.state();
        drop(first);
        let mut second = cfg.build::<f32>().unwrap();
        second.load_state(saved.clone(), &resumed).unwrap();
        assert_eq!(
            second.state(),
            saved,
            "{cfg:?}: state changed by a round trip"
        );
        for _ in 0..n {
            quadratic_step(second.as_mut(), &mut resumed, ids);
        }

        // Each store's own ids: an id works only on the store it was registered in.
        for (a, b) in straight_ids.into_iter().zip(ids) {
            assert_eq!(straight.value(a), resumed.value(b), "{cfg:?}");
        }
        assert_eq!(opt.state(), second.state(), "{cfg:?}");
    }
}

#[test]
fn state_names_buffers_after_torch() {
    let (mut store, ids) = two_param_store();
    let mut opt = optimizer::<f32>("adam", 0.01).unwrap();
    quadratic_step(opt.as_mut(), &mut store, ids);
    let state = opt.state();
    assert_eq!(state.kind, "adam");
    let keys: Vec<&str> = state.tensors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "exp_avg.enc.w",
            "exp_avg_sq.enc.w",
            "exp_avg.enc.b",
            "exp_avg_sq.enc.b"
        ]
    );
    assert_eq!(state.tensors[0].1.shape(), [2, 2]);
}

#[test]
fn mismatched_state_is_rejected_and_leaves_the_optimizer_unchanged() {
    let (mut store, ids) = two_param_store();
    let mut adam = optimizer::<f32>("adam", 0.01).unwrap();
    quadratic_step(adam.as_mut(), &mut store, ids);
    let good = adam.state();

    let expect_err = |opt: &mut dyn Optimizer<f32>, state, what: &str| {
        let before = opt.state();
        match opt.load_state(state, &store) {
            Err(Error::Config(msg)) => assert!(msg.contains(what), "{msg:?} lacks {what:?}"),
            other => panic!("expected a config error about {what:?}, got {other:?}"),
        }
        assert_eq!(opt.state(), before);
    };

    // Another optimizer's state.
    let mut sgd = optimizer::<f32>("sgd", 0.01).unwrap();
    expect_err(sgd.as_mut(), good.clone(), "\"adam\"");
    let mut adamw = optimizer::<f32>("adamw", 0.01).unwrap();
    expect_err(adamw.as_mut(), good.clone(), "\"adam\"");
    // AMSGrad needs a buffer the plain Adam state lacks.
    let mut ams = Adam::new(AdamConfig::default().amsgrad(true)).unwrap();
    expect_err(&mut ams, good.clone(), "max_exp_avg_sq.enc.w");

    let mut renamed = good.clone();
    renamed.param_steps[0].0 = "dec.w".into();
    expect_err(adam.as_mut(), renamed, "\"dec.w\"");

    let mut reshaped = good.clone();
    reshaped.tensors[0].1 = Tensor::zeros(&[4]);
    expect_err(adam.as_mut(), reshaped, "shape");

    let mut missing = good.clone();
    missing.tensors.remove(1);
    expect_err(adam.as_mut(), missing, "missing buffers exp_avg_sq.enc.w");

    let mut extra = good.clone();
    extra
        .tensors
        .push(("momentum_buffer.enc.b".into(), Tensor::zeros(&[3])));
    expect_err(adam.as_mut(), extra, "momentum_buffer.enc.b");

    adam.load_state(good.clone(), &store).unwrap();
    assert_eq!(adam.state(), good);
}

#[test]
fn optimizers_are_built_by_name() {
    for name in OPTIMIZER_NAMES {
        let opt = optimizer::<f64>(name, 0.25).unwrap();
        assert_eq!(opt.name(), name);
        assert_eq!(opt.lr(), 0.25);
    }
    match optimizer::<f64>("lbfgs", 0.1) {
        Err(Error::Config(msg)) => {
            assert!(msg.contains("\"lbfgs\""), "{msg}");
            for name in OPTIMIZER_NAMES {
                assert!(msg.contains(name), "{msg} does not list {name}");
            }
        }
        _ => panic!("lbfgs should be unknown"),
    }
}

#[test]
fn configs_round_trip_through_json_with_defaults_filled_in() {
    let cfg: OptimConfig = serde_json::from_str(r#"{"name": "rmsprop", "lr": 0.002}"#).unwrap();
    assert_eq!(
        cfg,
        OptimConfig::RmsProp(RmsPropConfig::default().lr(0.002))
    );
    for cfg in full_configs() {
        let json = serde_json::to_string(&cfg).unwrap();
        assert_eq!(serde_json::from_str::<OptimConfig>(&json).unwrap(), cfg);
    }
    let sched = Schedule::cosine(100, 1e-5).with_warmup(10);
    let json = serde_json::to_string(&sched).unwrap();
    assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), sched);
}

#[test]
fn set_lr_changes_the_next_step() {
    let (mut store, id) = store_with(&[0.0]);
    let mut opt = optimizer::<f64>("sgd", 1.0).unwrap();
    opt.set_lr(0.5);
    set_grad(&mut store, id, &[1.0]);
    opt.step(&mut store);
    assert_eq!(store.value(id).to_f64_vec(), vec![-0.5]);
}

#[test]
fn schedules_at_given_steps() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert_eq!(Schedule::Constant.lr_at(0.3, 1000), 0.3);

    let step = Schedule::step(3, 0.5);
    let got: Vec<f64> = [0, 2, 3, 5, 6, 9]
        .iter()
        .map(|&t| step.lr_at(1.0, t))
        .collect();
    assert_eq!(got, [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]);

    assert!(close(Schedule::exponential(0.9).lr_at(2.0, 2), 2.0 * 0.81));

    let cos = Schedule::cosine(100, 0.1);
    assert!(close(cos.lr_at(1.0, 0), 1.0));
    assert!(close(cos.lr_at(1.0, 50), 0.55));
    assert!(close(cos.lr_at(1.0, 100), 0.1));
    assert!(close(
        cos.lr_at(1.0, 25),
        0.1 + 0.9 * (1.0 + 0.5f64.sqrt()) / 2.0
    ));
    // torch's closed form is periodic past t_max.
    assert!(close(cos.lr_at(1.0, 200), 1.0));

    let warm = Schedule::cosine(10, 0.0).with_warmup(4);
    let ramp: Vec<f64> = (0..4).map(|t| warm.lr_at(0.8, t)).collect();
    assert_close(&ramp, &[0.2, 0.4, 0.6, 0.8], 1e-15);
    assert!(close(warm.lr_at(0.8, 4), 0.8));
    assert!(close(warm.lr_at(0.8, 9), 0.4));
    assert!(close(warm.lr_at(0.8, 14), 0.0));
}

#[test]
fn bad_schedules_are_config_errors() {
    for bad in [
        Schedule::step(0, 0.5),
        Schedule::exponential(-0.1),
        Schedule::cosine(0, 0.0),
        Schedule::cosine(0, 0.0).with_warmup(3),
    ] {
        assert!(matches!(bad.validate(), Err(Error::Config(_))), "{bad:?}");
    }
    assert!(Schedule::cosine(5, 0.0).with_warmup(3).validate().is_ok());
}

/// A store with gradients [3, 4] and [12] (global L2 norm 13, max norm 12), plus a param without.
fn clip_store() -> (ParamStore<f64>, [ParamId; 3]) {
    let mut store = ParamStore::new();
    let a = store.add("a", Tensor::zeros(&[2]));
    let b = store.add("b", Tensor::zeros(&[1]));
    let c = store.add("c", Tensor::zeros(&[1]));
    set_grad(&mut store, a, &[3.0, -4.0]);
    set_grad(&mut store, b, &[12.0]);
    (store, [a, b, c])
}

#[test]
fn clip_grad_norm_returns_the_pre_clip_norm_and_scales_to_max_norm() {
    let (mut store, [a, b, c]) = clip_store();
    let norm = clip_grad_norm(&mut store, 6.5, 2.0);
    assert_eq!(norm, 13.0);
    let s = 6.5 / (13.0 + 1e-6);
    assert_close(
        &store.grad(a).unwrap().to_f64_vec(),
        &[3.0 * s, -4.0 * s],
        1e-15,
    );
    assert_close(&store.grad(b).unwrap().to_f64_vec(), &[12.0 * s], 1e-15);
    assert!(store.grad(c).is_none());
    assert!((grad_norm(&store, 2.0) - 6.5).abs() < 1e-6);

    // Below the limit nothing changes.
    let (mut store, [a, ..]) = clip_store();
    assert_eq!(clip_grad_norm(&mut store, 20.0, 2.0), 13.0);
    assert_eq!(store.grad(a).unwrap().to_f64_vec(), vec![3.0, -4.0]);
}

#[test]
fn clip_grad_norm_with_the_max_norm() {
    let (mut store, [a, b, _]) = clip_store();
    assert_eq!(clip_grad_norm(&mut store, 6.0, f64::INFINITY), 12.0);
    let s = 6.0 / (12.0 + 1e-6);
    assert_close(
        &store.grad(a).unwrap().to_f64_vec(),
        &[3.0 * s, -4.0 * s],
        1e-15,
    );
    assert_close(&store.grad(b).unwrap().to_f64_vec(), &[12.0 * s], 1e-15);
    assert!((grad_norm(&store, 1.0) - 19.0 * s).abs() < 1e-12);
}

#[test]
fn clip_grad_value_clamps_each_element() {
    let (mut store, [a, b, _]) = clip_store();
    clip_grad_value(&mut store, 3.5);
    assert_eq!(store.grad(a).unwrap().to_f64_vec(), vec![3.0, -3.5]);
    assert_eq!(store.grad(b).unwrap().to_f64_vec(), vec![3.5]);
}

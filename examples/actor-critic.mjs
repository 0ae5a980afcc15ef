// TensorFlow's "Playing CartPole with the Actor-Critic method" tutorial
// (https://www.tensorflow.org/tutorials/reinforcement_learning/actor_critic), step by step with gradtape
// and gradtape/layers; the TF code of each step is in the comments beside it.
// Gym is not available here: CartPole-v1 is written out in examples/cartpole.mjs from the classic
// control equations, with Gym's constants, Euler steps, failure limits and 500-step cut.
// As in the tutorial, the whole episode runs inside one GradientTape: the model is applied to one
// observation per step (a batch of one), so the run time is mostly gradtape's per-op cost.
// Training stops, as in the tutorial, when the running reward (0.01·reward + 0.99·running, its earlier
// rule; the newest version averages the last 100 episodes) exceeds CartPole-v1's 475.
// Run: node examples/actor-critic.mjs                (at most 2,000 episodes: solved at episode 1,257,
//                                                      328,442 steps, 8-16 s, 25-50 µs a step)
//      node examples/actor-critic.mjs --episodes=300 (a shorter run: not solved)
//      node examples/actor-critic.mjs --full         (the tutorial's max_episodes, 10,000: the same run,
//                                                      as it is solved before 2,000)
import { pathToFileURL } from 'node:url';
import {
  tensor, tape, tidy, softmax, slice, reshape, squeeze, stack, expandDims, log, neg, add, sub, mul, div, sum, sqrt,
  moments, argMax, randomCategorical, huber, adam,
} from 'gradtape';
import { Module, Dense } from 'gradtape/layers';
import { CartPole, MAX_STEPS } from './cartpole.mjs';
import { numberFlag } from './png.mjs';
import { prng } from './prng.mjs';

// eps = np.finfo(np.float32).eps.item()  (the smallest x with 1 + x != 1 in float32)
export const eps = 2 ** -23;

// class ActorCritic(tf.keras.Model):
//   def __init__(self, num_actions, num_hidden_units):
//     super().__init__()
//     self.common = layers.Dense(num_hidden_units, activation="relu")
//     self.actor = layers.Dense(num_actions)
//     self.critic = layers.Dense(1)
//   def call(self, inputs):
//     x = self.common(inputs)
//     return self.actor(x), self.critic(x)
/** The tutorial's model: one shared hidden layer, then action logits (the actor) and a state value (the critic). */
export class ActorCritic extends Module {
  constructor(num_actions, num_hidden_units, seed = 1) {
    super('actor_critic');
    this.common = new Dense(num_hidden_units, { activation: 'relu', seed });
    this.actor = new Dense(num_actions, { seed: seed + 1 });
    this.critic = new Dense(1, { seed: seed + 2 });
  }

  call(inputs) {
    const x = this.common.apply(inputs);
    return [this.actor.apply(x), this.critic.apply(x)];
  }
}

/**
 * The tutorial's run_episode: runs `model` on `env` from `initial_state` until the episode ends or
 * `max_steps`, sampling each action with randomCategorical (seeded by `nextSeed()`, so an episode can
 * be replayed). Returns the chosen actions' probabilities and the critic's values (tensors [T],
 * recorded on the enclosing tape) and the rewards (numbers).
 */
export function run_episode(initial_state, model, max_steps, env, nextSeed) {
  // action_probs = tf.TensorArray(...); values = tf.TensorArray(...); rewards = tf.TensorArray(...)
  const action_probs = [], values = [], rewards = [];
  let state = initial_state;
  for (let t = 0; t < max_steps; t++) {
    // state = tf.expand_dims(state, 0)                              (a batch of one)
    // action_logits_t, value = model(state)
    const [action_logits_t, value] = model.call(tensor(state, [1, 4]));
    // action = tf.random.categorical(action_logits_t, 1)[0, 0]
    const action = randomCategorical(action_logits_t, 1, { seed: nextSeed() }).item();
    // action_probs_t = tf.nn.softmax(action_logits_t)
    const action_probs_t = softmax(action_logits_t);
    // values = values.write(t, tf.squeeze(value))
    values.push(squeeze(value));
    // action_probs = action_probs.write(t, action_probs_t[0, action])
    action_probs.push(reshape(slice(action_probs_t, [0, action], [1, 1]), []));
    // state, reward, done = tf_env_step(action)
    const step = env.step(action);
    state = step.state;
    rewards.push(step.reward);
    // if tf.cast(done, tf.bool): break
    if (step.terminated || step.truncated) break;
  }
  return { action_probs: stack(action_probs), values: stack(values), rewards };
}

/**
 * The tutorial's get_expected_return: G_t = Σ_{t' ≥ t} γ^(t' - t) r_t' for every step (a float32
 * tensor [T]), then, with `standardize`, (G - mean) / (std + eps) with the population std.
 */
export function get_expected_return(rewards, gamma, standardize = true) {
  // rewards = tf.cast(rewards[::-1], dtype=tf.float32); discounted_sum = tf.constant(0.0)
  // for i in tf.range(n): discounted_sum = rewards[i] + gamma * discounted_sum; returns = returns.write(i, ...)
  // returns = returns.stack()[::-1]
  const returns = new Float32Array(rewards.length);
  let discounted_sum = 0;
  for (let i = rewards.length - 1; i >= 0; i--) returns[i] = discounted_sum = rewards[i] + gamma * discounted_sum;
  if (!standardize) return tensor(returns);
  // returns = ((returns - tf.math.reduce_mean(returns)) / (tf.math.reduce_std(returns) + eps))
  return tidy(() => {
    const G = tensor(returns), { mean, variance } = moments(G, 0);
    return div(sub(G, mean), add(sqrt(variance), eps));
  });
}

// huber_loss = tf.keras.losses.Huber(reduction=tf.keras.losses.Reduction.SUM)
const huber_loss = (y_true, y_pred) => sum(huber(y_true, y_pred));

/** The tutorial's compute_loss: actor loss −Σ log π(a_t|s_t)·(G_t − V(s_t)) plus the critic's summed Huber loss. */
export function compute_loss(action_probs, values, returns) {
  // advantage = returns - values
  // (not stop-gradient'ed, as in the tutorial: the actor's term moves the critic's values too)
  const advantage = sub(returns, values);
  // action_log_probs = tf.math.log(action_probs)
  // actor_loss = -tf.math.reduce_sum(action_log_probs * advantage)
  const actor_loss = neg(sum(mul(log(action_probs), advantage)));
  // critic_loss = huber_loss(values, returns)
  const critic_loss = huber_loss(values, returns);
  return add(actor_loss, critic_loss);
}

/**
 * The tutorial's train_step: one episode recorded on one tape, the loss, one optimizer update.
 * Returns the episode's reward (its number of steps) and loss.
 */
export function train_step(initial_state, model, optimizer, gamma, max_steps_per_episode, env, nextSeed) {
  return tidy(() => {
    // with tf.GradientTape() as tape:
    const t = tape(() => {
      // action_probs, values, rewards = run_episode(initial_state, model, max_steps_per_episode)
      let { action_probs, values, rewards } = run_episode(initial_state, model, max_steps_per_episode, env, nextSeed);
      // returns = get_expected_return(rewards, gamma)
      let returns = get_expected_return(rewards, gamma);
      // action_probs, values, returns = [tf.expand_dims(x, 1) for x in [action_probs, values, returns]]
      [action_probs, values, returns] = [action_probs, values, returns].map(x => expandDims(x, 1));
      // loss = compute_loss(action_probs, values, returns)
      return { loss: compute_loss(action_probs, values, returns), rewards };
    });
    // grads = tape.gradient(loss, model.trainable_variables)
    // optimizer.apply_gradients(zip(grads, model.trainable_variables))
    const grads = t.gradient(t.result.loss, model.trainableVariables);
    optimizer.applyGradients(grads, model.trainableVariables);
    // episode_reward = tf.math.reduce_sum(rewards)
    return { episode_reward: t.result.rewards.reduce((a, b) => a + b, 0), loss: t.result.loss.item() };
  });
}

/** The tutorial's last step without the GIF: one episode with the most probable action each step; returns its length. */
export function greedy_episode(model, env, max_steps = MAX_STEPS) {
  let state = env.reset(), steps = 0;
  while (steps < max_steps) {
    // action_probs, _ = model(state); action = np.argmax(np.squeeze(action_probs))
    const action = tidy(() => argMax(model.call(tensor(state, [1, 4]))[0], 1).item());
    const step = env.step(action);
    state = step.state;
    steps++;
    if (step.terminated || step.truncated) break;
  }
  return steps;
}

export async function main({ full = process.argv.includes('--full'), log = console.log, max_episodes = numberFlag('episodes', full ? 10000 : 2000) } = {}) {
  // env = gym.make("CartPole-v1")
  // seed = 42; tf.random.set_seed(seed); np.random.seed(seed)
  const seed = 42, env = new CartPole(seed), sampling = prng(seed + 1);
  const nextSeed = () => Math.floor(sampling() * 2 ** 31);
  // num_actions = env.action_space.n  # 2
  // num_hidden_units = 128
  // model = ActorCritic(num_actions, num_hidden_units)
  const model = new ActorCritic(2, 128, seed);
  // optimizer = tf.keras.optimizers.Adam(learning_rate=0.01)
  const optimizer = adam(0.01);

  // max_episodes = 10000; max_steps_per_episode = 500
  // reward_threshold = 475; running_reward = 0; gamma = 0.99
  const max_steps_per_episode = MAX_STEPS, reward_threshold = 475, gamma = 0.99;
  let running_reward = 0, best_running = 0, i = 0, solved = false;
  const episode_rewards = [];
  const started = performance.now();
  // t = tqdm.trange(max_episodes)
  // for i in t:
  for (; i < max_episodes; i++) {
    // initial_state, info = env.reset()
    const initial_state = env.reset();
    // episode_reward = int(train_step(initial_state, model, optimizer, gamma, max_steps_per_episode))
    const { episode_reward } = train_step(initial_state, model, optimizer, gamma, max_steps_per_episode, env, nextSeed);
    episode_rewards.push(episode_reward);
    // running_reward = episode_reward*0.01 + running_reward*.99
    running_reward = episode_reward * 0.01 + running_reward * 0.99;
    best_running = Math.max(best_running, running_reward);
    // t.set_postfix(episode_reward=episode_reward, running_reward=running_reward)
    if (i % 100 === 0) log(`Episode ${i}: episode_reward=${episode_reward}, running_reward=${running_reward.toFixed(2)}`);
    // if running_reward > reward_threshold: break
    if (running_reward > reward_threshold) { solved = true; break; }
  }
  const elapsed = (performance.now() - started) / 1000, episodes = episode_rewards.length;
  // print(f'\nSolved at episode {i}: average reward: {running_reward:.2f}!')
  if (solved) log(`\nSolved at episode ${i}: running reward ${running_reward.toFixed(2)}!`);
  else log(`\nNot solved in ${episodes} episodes: running reward ${running_reward.toFixed(2)}, best ${best_running.toFixed(2)}`);
  const total = xs => xs.reduce((a, b) => a + b, 0), average = xs => total(xs) / xs.length;
  const steps = total(episode_rewards), early = average(episode_rewards.slice(0, 20)), late = average(episode_rewards.slice(-20));
  log(`${steps} environment steps in ${elapsed.toFixed(1)} s: ${(elapsed / steps * 1e6).toFixed(0)} µs a step, model and tape included`);
  log(`mean reward of the first 20 episodes ${early.toFixed(1)}, of the last 20 ${late.toFixed(1)}`);
  // images = render_episode(env, model, max_steps_per_episode)  (here: the length of one greedy episode)
  const greedy = greedy_episode(model, env);
  log(`a greedy episode of the trained model (most probable action each step) lasts ${greedy} of ${MAX_STEPS} steps`);
  model.dispose();
  optimizer.dispose();
  return {
    ok: solved || late > 2 * early,
    episodes, running_reward, greedy, solved,
    summary: `${solved ? 'solved' : 'not solved'} after ${episodes} episodes, running reward ${running_reward.toFixed(1)}, rewards ${early.toFixed(0)} -> ${late.toFixed(0)} (first/last 20), greedy episode ${greedy} steps`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();

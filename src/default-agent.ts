import { Agent, type CreateAgentOptions } from './agent.js';
import { resolveConfig } from './config.js';
import { setDefaultMeterHost } from './meter/index.js';

/** Options of {@link configureAgent}: the agent's options, directly or under `config`. */
export type ConfigureAgentOptions = CreateAgentOptions | { config: CreateAgentOptions };

let current: Agent | undefined;

/**
 * Sets the process-wide agent that `measureTps` and `track` use unless an `agent` option is
 * passed to them. An agent configured before is closed first, and the new one opens its data
 * dir once the old one has let go of it.
 *
 * @returns The new agent.
 * @throws {@link ConfigError} (`ERR_TPS_CONFIG`) for a malformed option or variable; the
 *   agent configured before then stays in place.
 */
export function configureAgent(options: ConfigureAgentOptions = {}): Agent {
  const { logger, clock, ...agentOptions } = 'config' in options ? options.config : options;
  const config = resolveConfig(agentOptions);
  const previous = current;
  const agent = new Agent(config, { logger, clock, openAfter: previous?.close() });
  current = agent;
  setDefaultMeterHost(agent);

  return agent;
}

/**
 * The process-wide agent. When none was configured, one is configured from the `TPS_*`
 * environment variables and the defaults.
 */
export function getAgent(): Agent {
  return current ?? configureAgent();
}

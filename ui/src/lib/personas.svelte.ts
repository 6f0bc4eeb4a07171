// This computer's saved personas (a system prompt and an optional effort to
// start a chat from), as the core lists them.
import type { NewPersona_Deserialize, Persona } from "../bindings";
import { api } from "./api";

export class PersonaStore {
  list = $state.raw<Persona[]>([]);
  loaded = $state(false);

  async load(): Promise<void> {
    this.list = await api.listPersonas();
    this.loaded = true;
  }

  async save(persona: NewPersona_Deserialize): Promise<Persona> {
    const saved = await api.savePersona(persona);
    await this.load();
    return saved;
  }

  async remove(name: string): Promise<void> {
    await api.deletePersona(name);
    await this.load();
  }
}

export const personas = new PersonaStore();

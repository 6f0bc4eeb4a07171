// The project list (Projects screen, dashboard) and the open tasks across
// projects; screens that change projects call `load()` afterwards.
import type { ApiError, Project, Task_Serialize } from "../bindings";
import { api, asApiError } from "./api";

class ProjectsStore {
  list = $state<Project[]>([]);
  activeTasks = $state<Task_Serialize[]>([]);
  includeArchived = $state(false);
  loaded = $state(false);
  error = $state<ApiError | null>(null);

  async load(): Promise<void> {
    try {
      const [list, tasks] = await Promise.all([api.listProjects(this.includeArchived), api.listTasks(null, true)]);
      this.list = list;
      this.activeTasks = tasks;
      this.error = null;
    } catch (e) {
      this.error = asApiError(e);
    } finally {
      this.loaded = true;
    }
  }

  async setIncludeArchived(on: boolean): Promise<void> {
    this.includeArchived = on;
    await this.load();
  }

  /** Most recently updated first. */
  get recent(): Project[] {
    return [...this.list].filter((p) => p.status === "active").sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }
}

export const projects = new ProjectsStore();

/**
 * What anywidget hands a view (https://anywidget.dev: `render({model, el, experimental})`),
 * kept to the calls the views make, and a React hook that follows one synced trait.
 */

import * as React from 'react';

export interface IWidgetModel {
  get(name: string): any;
  on(event: string, callback: () => void): void;
  off?(event: string, callback: () => void): void;
}

export interface IExperimental {
  invoke(name: string, msg: unknown): Promise<[any, ...unknown[]]>;
}

export interface IRenderProps {
  model: IWidgetModel;
  el: HTMLElement;
  experimental: IExperimental;
}

/** The current value of trait `name`, re-rendering when the kernel changes it. */
export function useTrait<T>(model: IWidgetModel, name: string): T {
  const [value, setValue] = React.useState<T>(() => model.get(name));
  React.useEffect(() => {
    const changed = () => setValue(model.get(name));
    model.on(`change:${name}`, changed);
    return () => model.off?.(`change:${name}`, changed);
  }, [model, name]);
  return value;
}
